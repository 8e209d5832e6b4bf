# SimVG ViT-B/32 on RefCOCOg (umd), one stage (official
# configs/single/ViT-base/refcocog/refcocog_onestage.py), evaluating the DB;
# the recipe of simvg_beit3-b32_spm_1xb32-30e_refcoco.py.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_umd_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))

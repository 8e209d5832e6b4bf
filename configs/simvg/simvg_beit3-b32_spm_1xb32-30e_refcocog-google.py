# SimVG ViT-B/32 on RefCOCOg (google), one stage (official
# configs/single/ViT-base/refcocoggoogle/refcocoggoogle_onestage.py),
# evaluating the DB; the recipe of simvg_beit3-b32_spm_1xb32-30e_refcoco.py.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_google_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

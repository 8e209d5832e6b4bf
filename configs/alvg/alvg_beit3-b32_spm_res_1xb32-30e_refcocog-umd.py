# ALVG ViT-B/32 on RefCOCOg (umd), boxes and masks (REC + RES): the official
# single-dataset config, the recipe of
# alvg_beit3-b32_spm_res_1xb32-30e_refcoco.py.
_base_ = './alvg_beit3-b32_spm_res_1xb32-30e_refcoco.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_umd_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))

# ALVG ViT-B/32 on RefCOCOg (google), boxes only (REC); the recipe of
# alvg_beit3-b32_spm_1xb32-30e_refcoco.py.
_base_ = './alvg_beit3-b32_spm_1xb32-30e_refcoco.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_google_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

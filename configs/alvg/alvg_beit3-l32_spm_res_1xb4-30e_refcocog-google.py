# ALVG ViT-L/32 on RefCOCOg (google), boxes and masks (REC + RES): the official
# config, the recipe of alvg_beit3-l32_spm_res_1xb4-30e_refcoco.py.
_base_ = './alvg_beit3-l32_spm_res_1xb4-30e_refcoco.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_google_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

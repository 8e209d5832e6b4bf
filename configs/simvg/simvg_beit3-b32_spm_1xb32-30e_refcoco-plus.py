# SimVG ViT-B/32 on RefCOCO+ (unc), one stage (official
# configs/single/ViT-base/refcocoplus/refcocoplus_onestage.py), evaluating the
# DB; the recipe of simvg_beit3-b32_spm_1xb32-30e_refcoco.py.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco.py'

dataset_type = 'RefCOCOPlusDataset'
ann_prefix = 'annotations/refcoco+_unc_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

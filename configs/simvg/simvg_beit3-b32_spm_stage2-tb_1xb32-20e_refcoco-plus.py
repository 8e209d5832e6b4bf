# SimVG ViT-B/32 on RefCOCO+ (unc), second of two stages (official
# configs/single/ViT-base/refcocoplus/refcocoplus_twostage_2.py), predicting
# with the TB; the recipe of
# simvg_beit3-b32_spm_stage2-tb_1xb32-20e_refcoco.py.
_base_ = './simvg_beit3-b32_spm_stage2-tb_1xb32-20e_refcoco.py'

dataset_type = 'RefCOCOPlusDataset'
ann_prefix = 'annotations/refcoco+_unc_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader
load_from = ('work_dirs/simvg_beit3-b32_spm_stage1_1xb16-30e_refcoco-plus/'
             'stage1.pth')

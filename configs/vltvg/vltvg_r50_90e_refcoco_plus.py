# VLTVG, ResNet-50, 90 epochs, RefCOCO+ (unc); the official
# settings as in vltvg_r50_90e_refcoco.py.
_base_ = './vltvg_r50_90e_refcoco.py'

model = dict(
    init_cfg=dict(
        type='Pretrained', checkpoint='pretrained/detr-r50-unc_mmvg.pth'))

train_dataloader = dict(
    dataset=dict(
        type='RefCOCOPlusDataset',
        ann_file='annotations/refcoco+_unc_train.json'))
val_dataloader = dict(
    dataset=dict(
        type='RefCOCOPlusDataset',
        ann_file='annotations/refcoco+_unc_val.json'))
test_dataloader = val_dataloader

# VLTVG, ResNet-101, 90 epochs, RefCOCO+ (unc); the official
# settings as in vltvg_r50_90e_refcoco_plus.py.
_base_ = './vltvg_r50_90e_refcoco_plus.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(checkpoint='pretrained/detr-r101-unc_mmvg.pth'))

# VLTVG, ResNet-101 + bert-base, 90 epochs, RefCOCO+ (unc); the
# official settings as in vltvg_r50_bert-base_4xb16-90e_refcoco-plus.py.
_base_ = './vltvg_r50_bert-base_4xb16-90e_refcoco-plus.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(checkpoint='pretrained/detr-r101-unc_mmvg.pth'))

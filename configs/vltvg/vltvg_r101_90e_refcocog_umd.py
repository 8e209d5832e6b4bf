# VLTVG, ResNet-101, 90 epochs, RefCOCOg (umd); the official
# settings as in vltvg_r50_90e_refcocog_umd.py.
_base_ = './vltvg_r50_90e_refcocog_umd.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(checkpoint='pretrained/detr-r101-gref_mmvg.pth'))

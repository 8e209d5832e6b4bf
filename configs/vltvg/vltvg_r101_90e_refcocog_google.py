# VLTVG, ResNet-101, 90 epochs, RefCOCOg (google; val only); the official
# settings as in vltvg_r50_90e_refcocog_google.py.
_base_ = './vltvg_r50_90e_refcocog_google.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(checkpoint='pretrained/detr-r101-gref_mmvg.pth'))

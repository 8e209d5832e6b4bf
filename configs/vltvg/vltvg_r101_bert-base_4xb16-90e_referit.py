# VLTVG, ResNet-101 + bert-base, 90 epochs, ReferItGame (berkeley); the
# official settings as in vltvg_r50_bert-base_4xb16-90e_referit.py.
_base_ = './vltvg_r50_bert-base_4xb16-90e_referit.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(checkpoint='pretrained/detr-r101-referit_mmvg.pth'))

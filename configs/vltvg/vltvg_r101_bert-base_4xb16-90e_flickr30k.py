# VLTVG, ResNet-101 + bert-base, 90 epochs, Flickr30k Entities (REC
# protocol); the official settings as in
# vltvg_r50_bert-base_4xb16-90e_flickr30k.py.
_base_ = './vltvg_r50_bert-base_4xb16-90e_flickr30k.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(checkpoint='pretrained/detr-r101-referit_mmvg.pth'))

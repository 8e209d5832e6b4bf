# VLTVG, ResNet-101, 90 epochs, Flickr30k Entities (REC protocol); the official
# settings as in vltvg_r50_90e_refcoco.py.
_base_ = './vltvg_r50_90e_refcoco.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(
        type='Pretrained', checkpoint='pretrained/detr-r101-referit_mmvg.pth'))

train_dataloader = dict(
    dataset=dict(
        type='Flickr30kDataset', ann_file='annotations/flickr30k_train.json'))
val_dataloader = dict(
    dataset=dict(
        type='Flickr30kDataset', ann_file='annotations/flickr30k_val.json'))
test_dataloader = dict(
    dataset=dict(
        type='Flickr30kDataset', ann_file='annotations/flickr30k_test.json'))

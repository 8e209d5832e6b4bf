# VLTVG, ResNet-101, 90 epochs, ReferItGame (berkeley); the official
# settings as in vltvg_r50_90e_refcoco.py.
_base_ = './vltvg_r50_90e_refcoco.py'

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(
        type='Pretrained', checkpoint='pretrained/detr-r101-referit_mmvg.pth'))

train_dataloader = dict(
    dataset=dict(
        type='ReferItDataset',
        ann_file='annotations/referit_berkeley_train.json'))
val_dataloader = dict(
    dataset=dict(
        type='ReferItDataset',
        ann_file='annotations/referit_berkeley_val.json'))
test_dataloader = dict(
    dataset=dict(
        type='ReferItDataset',
        ann_file='annotations/referit_berkeley_test.json'))

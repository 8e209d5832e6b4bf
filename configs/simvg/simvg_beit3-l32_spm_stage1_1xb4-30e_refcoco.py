# SimVG ViT-L/32 on RefCOCO, first of two stages
# (configs/single/ViT-large/refcoco/refcoco_twostage_1.py): the DB alone,
# 4 images per GPU, no EMA (unlike ViT-B), lr x0.1 from epochs 21 and 27
# (indices 20 and 26).
_base_ = './simvg_beit3-l32_spm_1xb4-30e_refcoco.py'

model = dict(
    head=dict(branch_loss_weights=dict(decoder=1., token=0., distill=0.)))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.25,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=3),
    dict(
        type='MultiStepLR',
        milestones=[20, 26],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end={{_base_.max_epochs}})
]

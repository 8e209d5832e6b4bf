# SimVG ViT-B/32 on RefCOCO, second of two stages
# (configs/single/ViT-base/refcoco/refcoco_twostage_2.py): from the
# first stage's checkpoint, the DB and the TB train together as in one
# stage, at lr 3e-4 for 20 epochs (x0.1 from epoch 15), and the TB
# predicts (SimVG's fastest model: no decoder at inference). Test the DB
# with --cfg-options model.head.predict_branch=decoder.
#   STAGE1=work_dirs/simvg_beit3-b32_spm_stage1_1xb16-30e_refcoco/best_*.pth
#   python tools/train.py $CONFIG --cfg-options load_from=$STAGE1
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco.py'

model = dict(head=dict(predict_branch='token'))
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=3e-4))
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
        milestones=[14],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
# The first stage's checkpoint (the EMA weights it saved).
load_from = ('work_dirs/simvg_beit3-b32_spm_stage1_1xb16-30e_refcoco/'
             'stage1.pth')

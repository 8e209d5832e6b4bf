# SimVG ViT-L/32 on RefCOCO, second of two stages
# (configs/single/ViT-large/refcoco/refcoco_twostage_2.py): from the first
# stage's checkpoint, DB and TB together (TB weighed 1 and 0.4) at lr 1e-4
# without warmup for 10 epochs (x0.1 from epoch 7); the TB predicts. This
# is the recipe of SimVG's strongest published RefCOCO model.
#   python tools/train.py $CONFIG --cfg-options load_from=$STAGE1
_base_ = './simvg_beit3-l32_spm_1xb4-30e_refcoco.py'

model = dict(head=dict(predict_branch='token'))
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[6],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
load_from = ('work_dirs/simvg_beit3-l32_spm_stage1_1xb4-30e_refcoco/'
             'stage1.pth')

# SimVG ViT-B/32 on RefCOCO, first of two stages
# (configs/single/ViT-base/refcoco/refcoco_twostage_1.py): the DB alone
# (the TB is not run, its weights frozen), one GPU x 16, with an EMA of the
# weights (SimVG's ramped EMA, decay 0.999), which validation and the
# checkpoints use. The second stage distils the TB from it.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco.py'

model = dict(
    head=dict(branch_loss_weights=dict(decoder=1., token=0., distill=0.)))
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=16)
custom_hooks = [
    dict(type='EMAHook', ema_type='RampUpEMA', momentum=0.001, priority=49)
]

# ALVG's single-dataset recipe (official configs/single/*): Adam with
# amsgrad, lr 5e-4 for the head and 5e-5 for BEiT-3, betas (0.9, 0.98),
# eps 1e-9, no weight decay, gradients clipped at norm 0.15. The lr is
# (e + 1) / 4 of its value in epochs e = 0, 1, 2, then x0.1 from the epoch
# whose number (counted from 1) is the decay step: 25 for ViT-B, so the
# milestone is epoch index 24. 30 epochs; the official scheduler steps
# once per epoch, so the factors below change at epoch boundaries.
max_epochs = 30
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='Adam',
        lr=5e-4,
        betas=(0.9, 0.98),
        eps=1e-9,
        weight_decay=0.,
        amsgrad=True),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}),
    clip_grad=dict(max_norm=0.15, norm_type=2))
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
        milestones=[24],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
# The official total batch: one GPU x 32 (ViT-B).
auto_scale_lr = dict(enable=False, base_batch_size=32)

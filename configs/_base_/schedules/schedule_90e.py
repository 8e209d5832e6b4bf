# VLTVG's schedule: 90 epochs, AdamW, step decay by 10x at epoch 60.
max_epochs = 90
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# mmvg's constructor leaves parameters at lr 0 out of the optimizer.
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='VGOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2))

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[60],
        gamma=0.1)
]

# Scales the lr by (num_gpus * samples_per_gpu) / base_batch_size with
# ``--auto-scale-lr``.
auto_scale_lr = dict(enable=False, base_batch_size=64)

# SimREC's schedule (official configs/common/{train,optim}.py): Adam lr 1e-4,
# betas (0.9, 0.98), eps 1e-9, no weight decay; per iteration, a linear
# warmup from 1e-7 over 3 epochs, then a cosine to 1e-6 at epoch 25;
# gradient-norm clip 0.15. The official AMP branch clips after the
# optimizer step, which does nothing; mmengine clips before it.
max_epochs = 25
warmup_epochs = 3
base_lr = 1e-4
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    constructor='VGOptimWrapperConstructor',
    optimizer=dict(
        type='Adam', lr=base_lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=0),
    clip_grad=dict(max_norm=0.15, norm_type=2))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-7 / base_lr,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        T_max=max_epochs - warmup_epochs,
        convert_to_iter_based=True)
]

# 4 GPUs x 8 images, the official global batch of 32.
auto_scale_lr = dict(enable=False, base_batch_size=32)

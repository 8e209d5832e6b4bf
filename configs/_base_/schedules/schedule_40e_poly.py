# LAVT's schedule: 40 epochs, AdamW, polynomial decay (power 0.9) per iter.
max_epochs = 40
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# mmvg's constructor leaves parameters at lr 0 out of the optimizer.
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='VGOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=5e-5, weight_decay=1e-2))

param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]

auto_scale_lr = dict(enable=False, base_batch_size=32)

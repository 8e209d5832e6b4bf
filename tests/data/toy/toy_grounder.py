_base_ = ['../../../configs/_base_/default_runtime.py']

custom_imports = dict(imports=['mmvg.testing.toy'], allow_failed_imports=False)

model = dict(
    type='ToyGrounder', data_preprocessor=dict(type='ImgDataPreprocessor'))

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ToyGroundingDataset', num_samples=16))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ToyGroundingDataset', num_samples=6, seed=1))
test_dataloader = val_dataloader
val_evaluator = dict(type='ToyBoxError')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
param_scheduler = []
auto_scale_lr = dict(enable=False, base_batch_size=4)

default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, save_best=None),
    visualization=dict(type='DetVisualizationHook', draw=False))
randomness = dict(seed=0, deterministic=True)

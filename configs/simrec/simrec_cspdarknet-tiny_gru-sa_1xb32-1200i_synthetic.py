# Quick start: the small SimREC of _base_/models/simrec_cspdarknet-tiny.py
# trained from scratch on the synthetic shapes dataset, on CPU: 128x128
# letterbox, batch 32, multi-scale 96 or 128 per batch, 1,200 iterations of
# Adam with the official betas, warmup and cosine, EMA of the weights
# (validated).
#   python tools/train.py \
#       configs/simrec/simrec_cspdarknet-tiny_gru-sa_1xb32-1200i_synthetic.py
_base_ = [
    '../_base_/models/simrec_cspdarknet-tiny.py',
    '../_base_/datasets/synthetic.py', '../_base_/default_runtime.py'
]

img_size = 128
# No 160: a 160-pixel batch costs about 1.6x a 128-pixel one, and without
# it the same 1,200 steps gave a better model (README).
model = dict(
    data_preprocessor=dict(
        batch_augments=[dict(type='BatchMultiScaleResize', sizes=[96, 128])]))
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    # The category labels feed the ``category`` auxiliary head.
    dict(type='LoadVGAnnotations', with_category=True),
    dict(type='CleanText'),
    dict(type='LetterBox', size=img_size, pad_val=127),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='LetterBox', size=img_size, pad_val=127),
    dict(type='PackVGInputs')
]
# Data loads in the training process: a worker process would compete with
# the model for the 2 cores.
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RECMetric', strict=True)
test_evaluator = val_evaluator

max_iters = 1200
warmup_iters = 50
base_lr = 1e-3
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='VGOptimWrapperConstructor',
    optimizer=dict(
        type='Adam', lr=base_lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=0),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - warmup_iters,
        eta_min=1e-5,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters)
]
custom_hooks = [
    dict(type='EMAHook', ema_type='RampUpEMA', momentum=0.001, priority=49)
]
auto_scale_lr = dict(enable=False, base_batch_size=32)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=max_iters, save_best=None))

# Quick start: the small ALVG of _base_/models/alvg_beit3-tiny.py trained
# from scratch on the synthetic shapes, on CPU: boxes and masks (REC and
# RES) of 128x128 images, batch 32, AdamW with warmup and cosine.
#   python tools/train.py \
#       configs/alvg/alvg_beit3-tiny_spm_res_1xb32-2000i_synthetic.py
_base_ = [
    '../_base_/models/alvg_beit3-tiny.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py'
]

# BEiT-3's position table is fixed: every image is resized to the square
# without keeping its ratio, as the official pipeline does at 640.
img_scale = (128, 128)
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    # The category labels feed the ``category`` auxiliary head.
    dict(type='LoadVGAnnotations', with_mask=True, with_category=True),
    dict(type='CleanText'),
    dict(type='RandomFlipVG', prob=0.5),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
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
val_evaluator = [dict(type='RECMetric'), dict(type='RESMetric')]
test_evaluator = val_evaluator

max_iters = 2000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=5.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, end=100),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=1e-5,
        by_epoch=False,
        begin=0,
        end=max_iters)
]
auto_scale_lr = dict(enable=False, base_batch_size=32)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=max_iters, save_best=None))

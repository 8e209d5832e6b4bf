# Quick start: the small LAVT of _base_/models/lavt_swin-tiny.py trained
# from scratch on the synthetic shapes dataset on CPU: 96x96 inputs, batch
# 16, 3,000 iterations with poly decay.
#   python tools/train.py \
#       configs/lavt/lavt_swin-tiny_bert-tiny_1xb16-3000i_synthetic.py
_base_ = [
    '../_base_/models/lavt_swin-tiny.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/schedule_40e_poly.py', '../_base_/default_runtime.py'
]

img_scale = (96, 96)
backend_args = None
pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackVGInputs')
]
# Data loading in the training process: a batch takes about 12 ms, and a
# worker process would compete with the model for the cores.
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=1, dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RESMetric')
test_evaluator = val_evaluator

# 3000 iterations of 16 on 2 CPU cores, poly decay.
max_iters = 3000
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
auto_scale_lr = dict(base_batch_size=16)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(
        by_epoch=False,
        interval=max_iters,
        save_best='res/oIoU',
        rule='greater'))

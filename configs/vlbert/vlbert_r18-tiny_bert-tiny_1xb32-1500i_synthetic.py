# Quick start: the small VL-BERT of _base_/models/vlbert_r18-tiny.py trained
# from scratch on the synthetic shapes dataset, on CPU: it ranks the
# synthetic detections (and, in training, every annotated shape too) of
# 128-pixel images, batch 32, 1,500 iterations of AdamW (lr 1e-3) with
# warmup and cosine.
#   python tools/train.py \
#       configs/vlbert/vlbert_r18-tiny_bert-tiny_1xb32-1500i_synthetic.py
_base_ = [
    '../_base_/models/vlbert_r18-tiny.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py'
]

img_scale = (128, 128)
backend_args = None
proposals = 'annotations/synthetic_proposals_'
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    # The category labels feed the ``category`` auxiliary head.
    dict(type='LoadVGAnnotations', with_category=True),
    dict(type='CleanText'),
    dict(type='LoadVGProposals', whole_image_box=True),
    dict(type='RandomFlipVG', prob=0.5),
    dict(type='VGResize', scale=img_scale, keep_ratio=True),
    dict(type='VGPad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='LoadVGProposals', whole_image_box=True),
    dict(type='VGResize', scale=img_scale, keep_ratio=True),
    dict(type='VGPad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
# Data loads in the training process: a worker process would compete with
# the model for the 2 cores.
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        proposal_file=[proposals + 'dets.json', proposals + 'gt.json'],
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        proposal_file=proposals + 'dets.json', pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 1500
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, end=50),
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

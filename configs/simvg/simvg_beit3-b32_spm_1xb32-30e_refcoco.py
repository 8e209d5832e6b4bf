# SimVG ViT-B/32 on RefCOCO (unc), one stage: the official
# configs/single/ViT-base/refcoco/refcoco_onestage.py. The DB and the TB
# train together (the TB distilled from the DB); this config evaluates the
# DB, its ``_tb_`` twin the TB of the same checkpoint. Large-scale jitter,
# then 640x640 without keeping the ratio; 30 epochs, one GPU x 32; the
# checkpoint is chosen on val alone.
_base_ = [
    '../_base_/models/simvg_beit3-b32.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/alvg_30e.py', '../_base_/default_runtime.py'
]

# BEiT-3's position table is for exactly 640x640.
img_scale = (640, 640)
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='LargeScaleJitter', out_max_size=640, jitter_range=(0.3, 1.4)),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackVGInputs')
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(save_best='rec/Acc@0.5', rule='greater'))

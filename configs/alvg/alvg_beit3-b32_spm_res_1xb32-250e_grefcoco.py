# ALVG ViT-B/32 on gRefCOCO (unc), generalized REC and RES: the official
# configs/single/ViT-base/grefcoco/grefcoco.py. Ten queries; every query
# scoring at least 0.7 is a predicted object, none for a no-target
# expression (the empty mask then). No attention supervision (weights 0),
# 250 epochs with lr x0.1 from epoch 225 (index 224), validation every 2
# epochs from epoch 50.
_base_ = [
    '../_base_/models/alvg_beit3-b32.py', '../_base_/datasets/grefcoco.py',
    '../_base_/schedules/alvg_30e.py', '../_base_/default_runtime.py'
]

img_scale = (640, 640)
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
model = dict(
    head=dict(
        with_mask=True,
        num_queries=10,
        score_thr=0.7,
        score_attn_loss_weight=0.,
        decoder_attn_loss_weight=0.))
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='GRECMetric', score_thr=0.7),
    dict(type='GRESMetric')
]
test_evaluator = val_evaluator

max_epochs = 250
train_cfg = dict(max_epochs=max_epochs, val_begin=50, val_interval=2)
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
        milestones=[224],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
default_hooks = dict(
    checkpoint=dict(save_best='grec/Pr@(F1=1,IoU>=0.5)', rule='greater'))

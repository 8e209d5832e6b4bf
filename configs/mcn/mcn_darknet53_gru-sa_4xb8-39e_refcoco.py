# MCN from the COCO DarkNet-53 on RefCOCO (unc), box and mask together, as
# the SimREC repository's configs/mcn_refcoco_scratch.py: 416x416
# letterbox (grey 127 padding), multi-scale training per batch, one
# training sample per referred object with a random expression, 39
# epochs of Adam with warmup and step decay, no EMA, global batch 32
# with SyncBN across the GPUs.
_base_ = [
    '../_base_/models/mcn_darknet53.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/mcn_39e.py', '../_base_/default_runtime.py'
]

img_size = 416
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='LetterBox', size=img_size, pad_val=127),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=8, dataset=dict(sampling='ref', pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# The official evaluation: box right when IoU > 0.5; mask IoU on the
# original image; the inconsistency error between the two.
val_evaluator = [
    dict(type='RECMetric', strict=True),
    dict(type='RESMetric'),
    dict(
        type='InconsistencyErrorMetric', box_strict=True, empty_union_iou=1.0)
]
test_evaluator = val_evaluator

# The official MCN recipe converts every BatchNorm to SyncBN.
sync_bn = 'torch'

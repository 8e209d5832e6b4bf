# SimREC from the COCO CSPDarkNet ("scratch": no vision-language
# pretraining) on RefCOCO (unc), as the official
# configs/simrec_refcoco_scratch.py: 416x416 letterbox (grey 127 padding),
# multi-scale training per batch, one training sample per referred object
# with a random expression, 25 epochs of Adam with warmup and cosine, EMA
# 0.9997 over parameters and buffers (validation and checkpoints use the
# averaged weights), global batch 32.
_base_ = [
    '../_base_/models/simrec_cspdarknet.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/simrec_25e.py', '../_base_/default_runtime.py'
]

img_size = 416
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='LetterBox', size=img_size, pad_val=127),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=8, dataset=dict(sampling='ref', pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# The official accuracy counts IoU > 0.5 (strictly greater).
val_evaluator = dict(type='RECMetric', strict=True)
test_evaluator = val_evaluator

# d = min(0.9997, (t + 1) / (t + 10)) at the t-th update.
custom_hooks = [
    dict(type='EMAHook', ema_type='RampUpEMA', momentum=0.0003, priority=49)
]

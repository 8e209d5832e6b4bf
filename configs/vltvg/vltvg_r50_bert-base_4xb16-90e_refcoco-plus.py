# VLTVG, ResNet-50 + bert-base, 90 epochs, RefCOCO+ (unc); the
# official settings as in vltvg_r50_bert-base_4xb16-90e_refcoco.py.
_base_ = [
    '../_base_/models/vltvg_r50.py', '../_base_/datasets/refcoco_plus.py',
    '../_base_/schedules/vltvg_90e.py', '../_base_/default_runtime.py'
]

# 4 GPUs x 16 images.
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)
# The official accuracy counts IoU > 0.5 (strictly greater).
val_evaluator = dict(type='RECMetric', strict=True)
test_evaluator = val_evaluator

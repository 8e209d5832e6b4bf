# VLTVG, ResNet-50 + bert-base, 90 epochs, RefCOCO (unc). Settings of the
# official configs/VLTVG_R50_unc.py and train.py: 640x640 input, BERT query
# length 40, AdamW lr 1e-4 (backbone, visual encoder, BERT 1e-5), weight
# decay 1e-4, lr x0.1 at epoch 60, grad-norm clip 0.1, 4 GPUs x 16 = batch
# 64, the pretrained visual and text encoders frozen for the first 10
# epochs.
_base_ = [
    '../_base_/models/vltvg_r50.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/vltvg_90e.py', '../_base_/default_runtime.py'
]

# 4 GPUs x 16 images.
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)
# The official accuracy counts IoU > 0.5 (strictly greater).
val_evaluator = dict(type='RECMetric', strict=True)
test_evaluator = val_evaluator

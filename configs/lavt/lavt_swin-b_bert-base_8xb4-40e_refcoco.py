# LAVT (official `lavt`): Swin-B window 12 + bert-base, RefCOCO (unc),
# 480x480, 40 epochs, AdamW lr 5e-5, weight decay 0.01, poly decay, total
# batch 32 (8 GPUs x 4).
_base_ = [
    '../_base_/models/lavt_swin-b.py', '../_base_/datasets/refcoco_res.py',
    '../_base_/schedules/lavt_40e.py', '../_base_/default_runtime.py'
]

# One random expression per referred object per epoch, as LAVT samples.
train_dataloader = dict(batch_size=4, dataset=dict(sampling='ref'))
# LAVT's protocol: IoU at the 480x480 input, GT resized with nearest.
val_evaluator = dict(type='RESMetric', resolution='input')
test_evaluator = val_evaluator
# LAVT keeps the checkpoint with the best overall IoU on val.
default_hooks = dict(checkpoint=dict(save_best='res/oIoU', rule='greater'))

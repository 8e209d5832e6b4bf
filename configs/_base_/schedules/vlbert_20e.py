# VL-BERT's fine-tuning recipe (official refcoco/function/train.py with
# cfgs/refcoco/*_detected_regions_4x16G.yaml): AdamW (betas 0.9/0.999, eps
# 1e-6, weight decay 1e-4 on every parameter) at 8e-7 per sample of the
# batch of 32 (2.56e-5), gradients clipped at norm 1, 20 epochs. The lr
# rises linearly over the first 3,750 updates, then falls linearly to 0 at
# the end; 3,750 updates of 32 expressions are one epoch of RefCOCO+
# (120,191), so both phases are set in epochs.
max_epochs = 20
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW',
        lr=2.56e-5,
        betas=(0.9, 0.999),
        eps=1e-6,
        weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.0,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True)
]
# mmengine scales by GPUs x images per GPU, without the accumulated steps:
# the base model's 4 x 4 (x 2 accumulated = 32).
auto_scale_lr = dict(enable=False, base_batch_size=16)

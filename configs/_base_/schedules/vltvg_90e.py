# VLTVG's fine-tuning recipe (official train.py) on schedule_90e.py: the
# pretrained parts (ResNet + DETR encoder with its input projection, BERT)
# train at 0.1x the lr and are frozen for the first 10 epochs.
_base_ = './schedule_90e.py'

# mmengine matches custom_keys as substrings, longest key first:
# 'text_encoder' would also match 'context_encoder', which the official code
# trains at the base lr with the rest of its decoder, hence its own key.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'context_encoder': dict(lr_mult=1.0),
            'backbone': dict(lr_mult=0.1),
            'input_proj': dict(lr_mult=0.1),
            'visual_encoder': dict(lr_mult=0.1),
            'text_encoder': dict(lr_mult=0.1),
        }))
custom_hooks = [
    dict(
        type='FreezeModulesHook',
        modules=['backbone', 'input_proj', 'visual_encoder', 'text_encoder'],
        freeze_epochs=10)
]
# Frozen modules receive no gradients during the first epochs.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

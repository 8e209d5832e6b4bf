# PyTorch FSDP with transformer blocks as shard units: every BERT layer
# (text encoders), every Swin block (LAVT's backbone) and every BEiT-3
# layer (ALVG) is wrapped on its own; the rest of the model forms the root
# unit. ``use_orig_params`` keeps the parameter names, so the model
# config's ``paramwise_cfg`` (e.g. a smaller backbone lr) still applies.
# Activation checkpointing: set ``model.backbone.with_cp=True`` (mmdet's
# ResNet and Swin support it).
runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='wrap_by_class',
            module_classes=('BertLayer', 'SwinBlock',
                            'DetrTransformerEncoderLayer', 'BEiT3Layer')),
        use_orig_params=True),
    state_dict_cfg='full')

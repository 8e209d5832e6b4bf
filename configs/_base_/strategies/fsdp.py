# PyTorch FSDP through FlexibleRunner; leaves of at least 1e7 parameters
# become their own shard unit. The model config's OptimWrapper (or
# AmpOptimWrapper with --amp) works with FSDP unchanged; ``use_orig_params``
# keeps the parameter names, so its ``paramwise_cfg`` (backbone and text
# encoder lr multipliers) and frozen stages still apply.
runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=int(1e7)),
        use_orig_params=True),
    state_dict_cfg='full')

# DeepSpeed ZeRO stage 2 through mmengine's FlexibleRunner. A leaf config
# inherits a model config and this file. ``inputs_to_half`` names only the
# image tensor: token ids travel in the data samples and stay integers.
# The optimizer wrapper comes from the model config: mmengine refuses a key
# defined by two ``_base_`` files, so mmvg's DeepSpeedStrategy turns its
# ``OptimWrapper`` into a ``DeepSpeedOptimWrapper`` (``clip_grad`` becomes
# ``gradient_clipping``, ``accumulative_counts`` becomes
# ``gradient_accumulation_steps``).
runner_type = 'FlexibleRunner'
strategy = dict(
    type='DeepSpeedStrategy',
    fp16=dict(
        enabled=True,
        fp16_master_weights_and_grads=False,
        loss_scale=0,
        loss_scale_window=500,
        hysteresis=2,
        min_loss_scale=1,
        initial_scale_power=15),
    inputs_to_half=['inputs'],
    zero_optimization=dict(
        stage=2,
        allgather_partitions=True,
        reduce_scatter=True,
        allgather_bucket_size=int(5e7),
        reduce_bucket_size=int(5e7),
        overlap_comm=True,
        contiguous_gradients=True,
        cpu_offload=False))

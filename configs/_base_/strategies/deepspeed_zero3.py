# DeepSpeed ZeRO stage 3 (parameters sharded too) through FlexibleRunner.
# The model config's OptimWrapper is converted as in deepspeed_zero2.py.
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
        stage=3,
        overlap_comm=True,
        contiguous_gradients=True,
        reduce_bucket_size=int(5e7),
        stage3_prefetch_bucket_size=int(5e7),
        stage3_param_persistence_threshold=int(1e5),
        stage3_gather_16bit_weights_on_model_save=True))

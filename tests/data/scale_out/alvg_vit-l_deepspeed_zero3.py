_base_ = [
    'alvg_vit-l.py', '../../../configs/_base_/strategies/deepspeed_zero3.py'
]

# CPU DeepSpeed has no fp16 kernels; train in fp32 here.
strategy = dict(fp16=dict(enabled=False))

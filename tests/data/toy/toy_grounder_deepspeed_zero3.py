_base_ = [
    'toy_grounder.py',
    '../../../configs/_base_/strategies/deepspeed_zero3.py',
]

# CPU DeepSpeed has no fp16 kernels; train in fp32 here.
strategy = dict(fp16=dict(enabled=False))
# ZeRO refuses optimizers it has not been tested with, SGD among them.
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=0.01))

# DeepSpeed ZeRO-3 in bf16 (Ampere or newer GPUs): no loss scaling needed.
_base_ = ['deepspeed_zero3.py']
strategy = dict(fp16=dict(enabled=False), bf16=dict(enabled=True))

_base_ = [
    'vltvg_r101_90e_refcoco.py', '../_base_/strategies/deepspeed_zero3.py'
]

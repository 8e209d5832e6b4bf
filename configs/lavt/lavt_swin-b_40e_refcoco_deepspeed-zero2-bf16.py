_base_ = [
    'lavt_swin-b_40e_refcoco.py',
    '../_base_/strategies/deepspeed_zero2_bf16.py'
]

_base_ = [
    'vltvg_r101_bert-base_4xb16-90e_refcoco.py',
    '../_base_/strategies/deepspeed_zero2_bf16.py'
]

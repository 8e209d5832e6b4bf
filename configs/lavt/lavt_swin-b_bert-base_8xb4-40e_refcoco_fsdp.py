_base_ = [
    'lavt_swin-b_bert-base_8xb4-40e_refcoco.py', '../_base_/strategies/fsdp.py'
]

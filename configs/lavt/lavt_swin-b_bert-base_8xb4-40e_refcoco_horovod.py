# LAVT's recipe under Horovod: 8 processes of 4 images each.
#   horovodrun -np 8 python tools/train.py CONFIG
_base_ = [
    'lavt_swin-b_bert-base_8xb4-40e_refcoco.py',
    '../_base_/strategies/horovod.py'
]
strategy = dict(num_processes=8)

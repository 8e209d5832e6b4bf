# The paper's VLTVG-R101 recipe under Horovod, as the seed's train_hvd.py
# ran it: 4 processes of 16 images each.
#   horovodrun -np 4 python tools/train.py CONFIG
_base_ = [
    'vltvg_r101_bert-base_4xb16-90e_refcoco.py',
    '../_base_/strategies/horovod.py'
]
strategy = dict(num_processes=4)

# vltvg_tiny.py under Horovod, for 2 processes (horovodrun -np 2 --gloo).
_base_ = ['vltvg_tiny.py', '../../../configs/_base_/strategies/horovod.py']
strategy = dict(num_processes=2)

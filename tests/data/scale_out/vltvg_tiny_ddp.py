# vltvg_tiny.py under mmengine's FlexibleRunner with DDPStrategy: the same
# runner as the Horovod config, so both consume the seeded random numbers
# (weights, data order) in the same order.
_base_ = ['vltvg_tiny.py']
runner_type = 'FlexibleRunner'
strategy = dict(type='DDPStrategy')

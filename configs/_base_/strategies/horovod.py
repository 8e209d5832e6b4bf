# Horovod through mmengine's FlexibleRunner (mmvg's HorovodStrategy):
#   horovodrun -np N python tools/train.py CONFIG
# Horovod averages the gradients (no DDP wrapper); mmengine's samplers,
# logger and metrics use a gloo process group with Horovod's ranks.
# Build horovod first: bash tools/misc/build_horovod.sh
runner_type = 'FlexibleRunner'
strategy = dict(type='HorovodStrategy', fp16_compression=False)

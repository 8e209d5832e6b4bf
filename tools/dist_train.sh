#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# DDP, DeepSpeed and FSDP configs start here (torchrun). A Horovod config
# (*_horovod.py, HorovodStrategy) is started by Horovod's launcher instead:
#   horovodrun -np GPUS python tools/train.py CONFIG
#   horovodrun -np 8 -H node1:4,node2:4 python tools/train.py CONFIG
# or, with horovod built against MPI, mpiexec -n GPUS python tools/train.py
# CONFIG (tools/misc/build_horovod.sh builds horovod for your torch).
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
torchrun \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/train.py" \
    $CONFIG \
    --launcher pytorch ${@:3}

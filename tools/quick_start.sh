#!/usr/bin/env bash
# The main job in one command, on a fresh machine with only Python 3.11:
# set up .venv (tools/setup_env.sh), train the VLTVG quick start on the
# synthetic shapes (written to data/synthetic/ on first run; about 9 min on
# 2 CPU cores), then ground three expressions in one of its val images and
# print where the picture is. A second run reuses the environment, the
# data and the trained checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/setup_env.sh

CONFIG=vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic
CHECKPOINT=work_dirs/$CONFIG/iter_2500.pth
if [ -f "$CHECKPOINT" ]; then
    echo "Reusing $CHECKPOINT (delete it to train again)."
else
    python tools/train.py "configs/vltvg/$CONFIG.py"
fi
python demo/image_demo.py \
    data/synthetic/train2014/COCO_train2014_000000000585.jpg "$CONFIG" \
    --weights "$CHECKPOINT" --out-dir outputs \
    --texts 'the red triangle' 'the leftmost shape' 'the blue triangle'

# SimVG ViT-L/32 on RefCOCO under DeepSpeed ZeRO stage 3: the 683M
# parameters, their gradients and the Adam state sharded over the GPUs.
#   CONFIG=configs/simvg/simvg_beit3-l32_spm_1xb4-30e_refcoco_deepspeed-zero3.py
#   bash tools/dist_train.sh $CONFIG 8
_base_ = [
    'simvg_beit3-l32_spm_1xb4-30e_refcoco.py',
    '../_base_/strategies/deepspeed_zero3.py'
]

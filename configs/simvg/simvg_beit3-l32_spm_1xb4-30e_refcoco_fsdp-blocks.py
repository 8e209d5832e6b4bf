# SimVG ViT-L/32 on RefCOCO under PyTorch FSDP, each BEiT-3 layer its own
# shard unit; the head and the embeddings form the root unit.
#   bash tools/dist_train.sh \
#       configs/simvg/simvg_beit3-l32_spm_1xb4-30e_refcoco_fsdp-blocks.py 8
_base_ = [
    'simvg_beit3-l32_spm_1xb4-30e_refcoco.py',
    '../_base_/strategies/fsdp_blocks.py'
]

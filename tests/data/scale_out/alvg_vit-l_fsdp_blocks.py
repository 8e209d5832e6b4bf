_base_ = ['alvg_vit-l.py', '../../../configs/_base_/strategies/fsdp_blocks.py']

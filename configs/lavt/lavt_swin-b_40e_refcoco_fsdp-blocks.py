_base_ = ['lavt_swin-b_40e_refcoco.py', '../_base_/strategies/fsdp_blocks.py']

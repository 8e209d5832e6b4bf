_base_ = ['vltvg_r101_90e_refcoco.py', '../_base_/strategies/fsdp_blocks.py']

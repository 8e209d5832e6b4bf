_base_ = ['vltvg_tiny.py', '../../../configs/_base_/strategies/fsdp_blocks.py']

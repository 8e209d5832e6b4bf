_base_ = ['lavt_tiny.py', '../../../configs/_base_/strategies/fsdp_blocks.py']

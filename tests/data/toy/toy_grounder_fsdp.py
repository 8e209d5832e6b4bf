_base_ = [
    'toy_grounder.py',
    '../../../configs/_base_/strategies/fsdp.py',
]

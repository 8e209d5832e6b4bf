# MCN's schedule in the SimREC repository (configs/mcn_refcoco_scratch.py):
# SimREC's Adam settings (simrec_25e.py), 39 epochs, a linear warmup from 0
# over 3 epochs per iteration, then the lr x0.2 at epochs 30, 35 and 37.
_base_ = './simrec_25e.py'

max_epochs = 39
warmup_epochs = 3
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    # The official warmup starts at 0; LinearLR needs a positive factor.
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[30, 35, 37],
        gamma=0.2)
]

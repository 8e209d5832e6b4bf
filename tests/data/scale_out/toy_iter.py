# The toy grounder iteration by iteration (4 per epoch), a checkpoint every
# 2 iterations: the kill-and-resume test kills it inside its second epoch.
_base_ = ['../toy/toy_grounder.py']

train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=8, val_interval=100)
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2))
# kill_iter=0 never kills; the test sets custom_hooks.0.kill_iter.
custom_hooks = [dict(type='KillAtIterHook', kill_iter=0)]

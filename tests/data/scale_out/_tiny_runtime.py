# Two iterations of batch 2 per process on the in-memory dataset
# (mmvg.testing.in_memory), a checkpoint after each, evaluation only
# through tools/test.py. The models' word tokenizer reads vocab.json here.
_base_ = ['../../../configs/_base_/default_runtime.py']

custom_imports = dict(
    imports=['mmvg.testing.in_memory'], allow_failed_imports=False)
tiny_tokenizer = dict(
    type='WordVocabTokenizer',
    vocab_file='{{ fileDirname }}/vocab.json',
    max_length=15)

train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='InMemoryVGDataset', num_samples=8))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='InMemoryVGDataset', num_samples=4, seed=1))
test_dataloader = val_dataloader
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=100)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3),
    clip_grad=dict(max_norm=1.0))
param_scheduler = []
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=1, save_best=None),
    visualization=dict(type='DetVisualizationHook', draw=False))
randomness = dict(seed=0, deterministic=True)

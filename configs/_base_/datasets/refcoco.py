# RefCOCO (unc) for REC. Canonical files come from
# data_tools/import_refer.py (see docs/en/prepare_data.md).
dataset_type = 'RefCOCODataset'
data_root = 'data/'
ann_prefix = 'annotations/refcoco_unc_'
# A local copy of bert-base-uncased (no hub access at training time).
tokenizer = dict(
    type='HFTokenizer', name_or_path='data/bert-base-uncased', max_length=20)
img_scale = (640, 640)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='RandomFlipVG', prob=0.5),
    dict(
        type='RandomChoiceResize',
        scales=[(s, s) for s in range(448, 641, 32)],
        keep_ratio=True),
    dict(type='RandomCropKeepTarget', ratio_range=(0.6, 1.0), prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Tokenize', tokenizer=tokenizer),
    dict(type='Pad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Tokenize', tokenizer=tokenizer),
    dict(type='Pad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_prefix + 'train.json',
        sampling='expression',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_prefix + 'val.json',
        test_mode=True,
        pipeline=test_pipeline))
# testA / testB: --cfg-options test_dataloader.dataset.ann_file=...
test_dataloader = val_dataloader

val_evaluator = dict(type='RECMetric')
test_evaluator = val_evaluator

# RefCOCO (unc) for REC. Canonical files come from
# data_tools/import_refer.py (see docs/en/prepare_data.md). No tokenizer
# here: the model's data preprocessor tokenizes ``text``, so every dataset
# base serves every model.
dataset_type = 'RefCOCODataset'
data_root = 'data/'
ann_prefix = 'annotations/refcoco_unc_'
img_scale = (640, 640)
# Where images are read from, as in mmdet (e.g. a petrel/S3 backend).
backend_args = None

train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='RandomFlipVG', prob=0.5),
    dict(
        type='RandomChoiceResize',
        scales=[(s, s) for s in range(448, 641, 32)],
        keep_ratio=True),
    dict(type='RandomCropKeepTarget', ratio_range=(0.6, 1.0), prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='VGPad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='VGPad', size=img_scale, pad_val=dict(img=0)),
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

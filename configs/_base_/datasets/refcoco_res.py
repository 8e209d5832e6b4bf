# RefCOCO (unc) for RES: masks loaded, LAVT-style fixed square input (no
# keep-ratio, no augmentation). The other RES bases (*_res.py) use these
# pipelines on their own files.
_base_ = './refcoco.py'

img_scale = (480, 480)
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='RESMetric')
test_evaluator = val_evaluator

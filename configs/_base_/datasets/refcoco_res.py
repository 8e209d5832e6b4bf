# RefCOCO (unc) for RES: masks loaded, LAVT-style fixed square input.
_base_ = './refcoco.py'

img_scale = (480, 480)
tokenizer = {{_base_.tokenizer}}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='Tokenize', tokenizer=tokenizer),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='RESMetric')
test_evaluator = val_evaluator

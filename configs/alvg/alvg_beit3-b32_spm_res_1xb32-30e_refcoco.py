# ALVG ViT-B/32 on RefCOCO (unc), boxes and masks (REC + RES): the official
# single-dataset config as released (masks loaded, the mask head trained
# with focal and Dice losses, the score attention supervised by the mask).
_base_ = './alvg_beit3-b32_spm_1xb32-30e_refcoco.py'

backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=False),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
model = dict(head=dict(with_mask=True))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='RECMetric'), dict(type='RESMetric')]
test_evaluator = val_evaluator

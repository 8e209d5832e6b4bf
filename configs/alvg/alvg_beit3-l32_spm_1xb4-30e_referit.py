# ALVG ViT-L/32 on ReferItGame (berkeley), boxes only (REC): the official
# config, the ViT-L recipe of alvg_beit3-l32_spm_res_1xb4-30e_refcoco.py on the
# box-only pipelines of alvg_beit3-b32_spm_1xb32-30e_refcoco.py.
_base_ = './alvg_beit3-l32_spm_res_1xb4-30e_refcoco.py'

backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=False),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
model = dict(head=dict(with_mask=False))
val_evaluator = dict(_delete_=True, type='RECMetric')
test_evaluator = val_evaluator

dataset_type = 'ReferItDataset'
ann_prefix = 'annotations/referit_berkeley_'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_prefix + 'train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_prefix + 'val.json',
        pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_prefix + 'test.json',
        pipeline=test_pipeline))

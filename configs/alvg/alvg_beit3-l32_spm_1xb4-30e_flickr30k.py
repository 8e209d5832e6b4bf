# ALVG ViT-L/32 on Flickr30k Entities, boxes only (REC): the official config,
# the ViT-L recipe of alvg_beit3-l32_spm_res_1xb4-30e_refcoco.py on the box-
# only pipelines of alvg_beit3-b32_spm_1xb32-30e_refcoco.py.
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
# The official ViT-L Flickr30k config decays once, at epoch 25.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.25,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=3),
    dict(
        type='MultiStepLR',
        milestones=[24],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end={{_base_.max_epochs}})
]

dataset_type = 'Flickr30kEntitiesDataset'
ann_prefix = 'annotations/flickr30k_entities_'
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

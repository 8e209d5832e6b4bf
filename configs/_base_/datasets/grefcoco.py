# gRefCOCO (unc) for GREC/GRES: zero, one or several targets.
_base_ = './refcoco.py'

dataset_type = 'GRefCOCODataset'
ann_prefix = 'annotations/grefcoco_unc_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

val_evaluator = dict(type='GRECMetric')
test_evaluator = val_evaluator

# RefCOCOg (umd): train/val/test for RES, on the pipelines of refcoco_res.py.
_base_ = './refcoco_res.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_umd_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))

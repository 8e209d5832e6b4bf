# RefCOCOg (google): train/val (no public test) for RES, on the pipelines
# of refcoco_res.py.
_base_ = './refcoco_res.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_google_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

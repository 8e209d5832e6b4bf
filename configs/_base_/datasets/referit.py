# ReferIt / RefCLEF (berkeley): train/val/test, for REC, on the pipelines
# of refcoco.py. Images: data/referit/images (saiapr_tc-12).
_base_ = './refcoco.py'

dataset_type = 'ReferItDataset'
ann_prefix = 'annotations/referit_berkeley_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))

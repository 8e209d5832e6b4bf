# RefCOCO+ (unc): train/val/testA/testB for RES, on the pipelines of
# refcoco_res.py.
_base_ = './refcoco_res.py'

dataset_type = 'RefCOCOPlusDataset'
ann_prefix = 'annotations/refcoco+_unc_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

# Flickr30k Entities for REC (one record per phrase, merged box), from
# data_tools/import_flickr30k.py, on the pipelines of refcoco.py.
_base_ = './refcoco.py'

dataset_type = 'Flickr30kEntitiesDataset'
ann_prefix = 'annotations/flickr30k_entities_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))

# ALVG ViT-B/32 on Flickr30k Entities, boxes only (REC); the recipe of
# alvg_beit3-b32_spm_1xb32-30e_refcoco.py.
_base_ = './alvg_beit3-b32_spm_1xb32-30e_refcoco.py'

dataset_type = 'Flickr30kEntitiesDataset'
ann_prefix = 'annotations/flickr30k_entities_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))

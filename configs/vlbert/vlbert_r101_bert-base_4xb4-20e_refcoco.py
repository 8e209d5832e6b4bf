# VL-BERT base on RefCOCO (unc), with the recipe of
# vlbert_r101_bert-base_4xb4-20e_refcoco-plus.py (the official code has
# RefCOCO+ only).
_base_ = './vlbert_r101_bert-base_4xb4-20e_refcoco-plus.py'

dataset_type = 'RefCOCODataset'
ann_prefix = 'annotations/refcoco_unc_'
proposals = 'annotations/refcoco_proposals_'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_prefix + 'train.json',
        proposal_file=[proposals + 'dets.json', proposals + 'gt.json']))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_prefix + 'val.json',
        proposal_file=proposals + 'dets.json'))
test_dataloader = val_dataloader

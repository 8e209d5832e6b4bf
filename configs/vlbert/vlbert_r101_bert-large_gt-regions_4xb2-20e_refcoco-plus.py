# VL-BERT large on RefCOCO+ (unc) with ground-truth regions, as the official
# cfgs/refcoco/large_gt_boxes_4x16G.yaml.
_base_ = './vlbert_r101_bert-large_4xb2-20e_refcoco-plus.py'

gt_regions = 'annotations/refcoco+_proposals_gt.json'
train_dataloader = dict(dataset=dict(proposal_file=gt_regions))
val_dataloader = dict(dataset=dict(proposal_file=gt_regions))
test_dataloader = val_dataloader

# VL-BERT base on RefCOCO+ (unc) with ground-truth regions, as the official
# cfgs/refcoco/base_gt_boxes_4x16G.yaml: every annotated COCO box of the
# image is a candidate, in training and at test.
_base_ = './vlbert_r101_bert-base_4xb4-20e_refcoco-plus.py'

gt_regions = 'annotations/refcoco+_proposals_gt.json'
train_dataloader = dict(dataset=dict(proposal_file=gt_regions))
val_dataloader = dict(dataset=dict(proposal_file=gt_regions))
test_dataloader = val_dataloader

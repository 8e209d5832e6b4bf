# ALVG ViT-B/32 on RefCOCO+ (unc), boxes and masks (REC + RES): the official
# single-dataset config, the recipe of
# alvg_beit3-b32_spm_res_1xb32-30e_refcoco.py.
_base_ = './alvg_beit3-b32_spm_res_1xb32-30e_refcoco.py'

# The official RefCOCO+ config weighs the score attention 16, not 40.
model = dict(head=dict(score_attn_loss_weight=16.))
dataset_type = 'RefCOCOPlusDataset'
ann_prefix = 'annotations/refcoco+_unc_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader

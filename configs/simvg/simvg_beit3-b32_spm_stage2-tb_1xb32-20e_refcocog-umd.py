# SimVG ViT-B/32 on RefCOCOg (umd), second of two stages (official
# configs/single/ViT-base/refcocog/refcocog_twostage_2.py), predicting with the
# TB; the recipe of simvg_beit3-b32_spm_stage2-tb_1xb32-20e_refcoco.py.
_base_ = './simvg_beit3-b32_spm_stage2-tb_1xb32-20e_refcoco.py'

dataset_type = 'RefCOCOgDataset'
ann_prefix = 'annotations/refcocog_umd_'
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))
load_from = ('work_dirs/simvg_beit3-b32_spm_stage1_1xb16-30e_refcocog-umd/'
             'stage1.pth')

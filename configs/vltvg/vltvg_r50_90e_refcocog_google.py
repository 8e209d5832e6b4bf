# VLTVG, ResNet-50, 90 epochs, RefCOCOg (google; val only); the official
# settings as in vltvg_r50_90e_refcoco.py.
_base_ = './vltvg_r50_90e_refcoco.py'

model = dict(
    init_cfg=dict(
        type='Pretrained', checkpoint='pretrained/detr-r50-gref_mmvg.pth'))

train_dataloader = dict(
    dataset=dict(
        type='RefCOCOgDataset',
        ann_file='annotations/refcocog_google_train.json'))
val_dataloader = dict(
    dataset=dict(
        type='RefCOCOgDataset',
        ann_file='annotations/refcocog_google_val.json'))
test_dataloader = val_dataloader

# The synthetic shapes dataset: quick start and smoke tests.
# SyntheticDataset writes the files below on first use when they are
# missing (2000 images, seed 0); by hand:
#   python data_tools/make_synthetic.py --out-dir data/synthetic --grefcoco
#   python data_tools/import_refer.py --refer-dir data/synthetic/refcoco \
#       --dataset synthetic --split-by unc --data-root data/synthetic \
#       --image-dir train2014 --out-dir data/synthetic/annotations
#   python data_tools/build_vocab.py \
#       data/synthetic/annotations/synthetic_unc_train.json \
#       --out data/synthetic/annotations/vocab.json
# The word vocabulary (annotations/vocab.json) and the SentencePiece model
# of the BEiT-3 models (annotations/synthetic.spm, written only by
# SyntheticDataset or make_synthetic.py --prepare) are read by the
# tokenizers of the quick-start models (_base_/models/*-tiny.py), not here.
dataset_type = 'SyntheticDataset'
data_root = 'data/synthetic/'
ann_prefix = 'annotations/synthetic_unc_'
img_scale = (256, 256)
backend_args = None

train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='RandomFlipVG', prob=0.5),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='VGPad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='VGPad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_prefix + 'train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_prefix + 'val.json',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='RECMetric')
test_evaluator = val_evaluator

# LAVT (official `lavt`): Swin-B window 12 + BERT-base, 480x480, 40 epochs,
# AdamW lr 5e-5, weight decay 0.01, poly decay, total batch 32 (8 x 4).
_base_ = [
    '../_base_/datasets/refcoco_res.py', '../_base_/models/bert_base.py',
    '../_base_/schedules/schedule_40e_poly.py', '../_base_/default_runtime.py'
]

bert_dir = 'data/bert-base-uncased'
swin_ckpt = 'data/pretrained/swin_base_patch4_window12_384_22k_mmvg.pth'
max_tokens = 20

model = dict(
    type='LAVT',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1,
        pad_mask=False),
    text_encoder=dict(
        type='BertTextEncoder',
        pretrained=bert_dir,
        config={{_base_.bert_base}},
        add_pooling_layer=False,
        max_length=max_tokens),
    backbone=dict(
        type='LAVTSwinTransformer',
        pretrain_img_size=384,
        embed_dims=128,
        depths=(2, 2, 18, 2),
        num_heads=(4, 8, 16, 32),
        window_size=12,
        drop_path_rate=0.3,
        lang_channels=768,
        pwam_num_heads=(1, 1, 1, 1),
        pwam_dropout=0.0,
        init_cfg=dict(type='Pretrained', checkpoint=swin_ckpt)),
    decode_head=dict(
        type='LAVTMaskHead',
        in_channels=(128, 256, 512, 1024),
        loss_ce=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            class_weight=[0.9, 1.1],
            loss_weight=1.0)))

# RefCOCO (unc) with masks at 480x480 (no keep-ratio, no augmentation).
# LAVT cuts the token ids after 20 (dropping [SEP] of long expressions):
# the tokenizer keeps the whole expression and the text encoder cuts it.
tokenizer = dict(
    type='HFTokenizer',
    name_or_path=bert_dir,
    max_length=512,
    pad_to_max_length=False)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=(480, 480), keep_ratio=False),
    dict(type='Tokenize', tokenizer=tokenizer),
    dict(type='PackVGInputs')
]
test_pipeline = train_pipeline
# One random expression per referred object per epoch, as LAVT samples.
train_dataloader = dict(
    batch_size=4, dataset=dict(sampling='ref', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# LAVT's protocol: IoU at the 480x480 input, GT resized with nearest.
val_evaluator = dict(type='RESMetric', resolution='input')
test_evaluator = val_evaluator

# As in the official optimiser: no weight decay on norms and relative
# position tables; BERT's embeddings and last two layers are not updated.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'norm': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'absolute_pos_embed': dict(decay_mult=0.),
            'text_encoder.bert.embeddings.': dict(lr_mult=0.),
            'text_encoder.bert.encoder.layer.10.': dict(lr_mult=0.),
            'text_encoder.bert.encoder.layer.11.': dict(lr_mult=0.),
        }))
# LAVT trains with SyncBN in the decoder on several GPUs. The last stage's
# language gate feeds nothing (as in LAVT), hence find_unused_parameters.
sync_bn = 'torch'
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
auto_scale_lr = dict(enable=False, base_batch_size=32)
# LAVT keeps the checkpoint with the best overall IoU on val.
default_hooks = dict(checkpoint=dict(save_best='res/oIoU', rule='greater'))

# Quick start: a small VLTVG trained from scratch on the synthetic shapes
# dataset, on CPU. The VLTVG grounder as in the paper configs, sized down:
# ResNet-18 at 1/4 width truncated after its third stage (stride 16),
# 64-channel transformer parts with 1 encoder layer and the paper's 6
# decoder stages, a 2-layer BERT-style text encoder from scratch over the
# synthetic word vocabulary, 128x128 inputs.
# Two additions to the paper's training stand in for its DETR weights
# (configs/vltvg/README.md): the verification scores are also supervised
# by the gt box (BoxMapLoss), without which the box loss alone took
# thousands of iterations to single out the referred object; and the
# visual features under the gt box are classified by the referred
# object's shape (CellCategoryHead), without which the backbone never
# learned shapes and "the circle" scored 1%.
#   python tools/train.py configs/vltvg/vltvg_r18-tiny_2500i_synthetic.py
_base_ = [
    '../_base_/datasets/synthetic.py', '../_base_/schedules/schedule_90e.py',
    '../_base_/default_runtime.py'
]

dims = 64
img_scale = (128, 128)
model = dict(
    type='VLTVG',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=16),
    # From scratch: BN trains, no stage is frozen.
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    backbone_channels=64,
    embed_dims=dims,
    positional_encoding=dict(num_feats=dims // 2, normalize=True),
    visual_encoder=dict(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=dims, num_heads=4, dropout=0.0, batch_first=True),
            ffn_cfg=dict(
                embed_dims=dims,
                feedforward_channels=128,
                num_fcs=2,
                ffn_drop=0.0,
                act_cfg=dict(type='ReLU', inplace=True)))),
    text_encoder=dict(
        type='BertTextEncoder',
        config=dict(
            vocab_size=32,
            hidden_size=dims,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=16,
            # No dropout in the small text encoder trained from scratch
            # (BERT's default is 0.1), as in the LAVT quick start.
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0),
        num_output_layers=2,
        add_pooling_layer=False,
        max_length=15),
    verification=dict(embed_dims=dims, num_heads=4, attn_drop=0.0),
    context_encoder=dict(
        embed_dims=dims, num_heads=4, attn_drop=0.0, max_offset=8),
    decoder=dict(
        num_layers=6,
        num_queries=1,
        layer_cfg=dict(
            embed_dims=dims,
            num_heads=4,
            attn_drop=0.0,
            feedforward_channels=128)),
    bbox_head=dict(type='VLTVGHead', embed_dims=dims),
    verification_loss=dict(type='BoxMapLoss', loss_weight=5.0),
    # The synthetic category ids are 1-4 (circle, square, triangle, diamond).
    category_head=dict(
        type='CellCategoryHead',
        embed_dims=dims,
        num_classes=5,
        loss_weight=5.0),
    mask_padding=False)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations', with_category=True),
    dict(type='CleanText'),
    dict(type='RandomFlipVG', prob=0.5),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Tokenize', tokenizer={{_base_.tokenizer}}),
    dict(type='Pad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Tokenize', tokenizer={{_base_.tokenizer}}),
    dict(type='Pad', size=img_scale, pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
# Data loads in the training process: a batch takes about 30 ms, and a
# worker process would compete with the model for the 2 cores.
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 2500
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, end=50),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=1e-5,
        by_epoch=False,
        begin=0,
        end=max_iters)
]
auto_scale_lr = dict(enable=False, base_batch_size=32)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=max_iters, save_best=None))

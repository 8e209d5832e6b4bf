# Quick start: a small LAVT (Swin at width 32, window 4; 2-layer BERT-style
# text encoder from scratch over the synthetic word vocabulary) trained on
# the synthetic shapes dataset on CPU.
#   python tools/train.py configs/lavt/lavt_swin-tiny_3000i_synthetic.py
_base_ = [
    '../_base_/datasets/synthetic.py',
    '../_base_/schedules/schedule_40e_poly.py', '../_base_/default_runtime.py'
]

dims = 16
img_scale = (96, 96)
model = dict(
    type='LAVT',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    text_encoder=dict(
        type='BertTextEncoder',
        config=dict(
            vocab_size=64,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=16,
            # No dropout: a text encoder learnt from scratch in a few
            # thousand steps trains far slower with it (oIoU 55.4 -> 59.9
            # at 2000 iterations).
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0),
        add_pooling_layer=False,
        max_length=15),
    backbone=dict(
        type='LAVTSwinTransformer',
        pretrain_img_size=img_scale[0],
        embed_dims=dims,
        depths=(2, 2, 2, 2),
        num_heads=(1, 2, 4, 8),
        window_size=4,
        drop_path_rate=0.1,
        lang_channels=64),
    # Cross-entropy as LAVT plus Dice, which speeds up short CPU runs.
    decode_head=dict(
        type='LAVTMaskHead',
        in_channels=[dims * 2**i for i in range(4)],
        loss_dice=dict(
            type='DiceLoss',
            use_sigmoid=True,
            activate=False,
            naive_dice=True,
            loss_weight=1.0)))

pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations', with_mask=True),
    dict(type='CleanText'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='Tokenize', tokenizer={{_base_.tokenizer}}),
    dict(type='PackVGInputs')
]
# Data loading in the training process: a batch takes about 12 ms, and a
# worker process would compete with the model for the cores.
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=1, dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RESMetric')
test_evaluator = val_evaluator

# 3000 iterations of 16 on 2 CPU cores, poly decay.
max_iters = 3000
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(
        by_epoch=False,
        interval=max_iters,
        save_best='res/oIoU',
        rule='greater'))

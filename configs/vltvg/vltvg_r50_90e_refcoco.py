# VLTVG, ResNet-50, 90 epochs, RefCOCO (unc). Settings of the official
# configs/VLTVG_R50_unc.py and train.py: 640x640 input, BERT query length
# 40, AdamW lr 1e-4 (backbone, visual encoder, BERT 1e-5), weight decay
# 1e-4, lr x0.1 at epoch 60, grad-norm clip 0.1, 4 GPUs x 16 = batch 64,
# the pretrained visual and text encoders frozen for the first 10 epochs.
_base_ = [
    '../_base_/datasets/refcoco.py', '../_base_/models/bert_base.py',
    '../_base_/schedules/schedule_90e.py', '../_base_/default_runtime.py'
]

# Local copies of the pretrained weights (no hub access at run time):
#   bert-base-uncased in the transformers format, and the DETR checkpoint
#   VLTVG starts from (TransVG's detr-r50-unc.pth), converted with
#   python tools/model_converters/vltvg_to_mmvg.py --detr \
#       detr-r50-unc.pth pretrained/detr-r50-unc_mmvg.pth
bert_dir = 'data/bert-base-uncased'
detr_checkpoint = 'pretrained/detr-r50-unc_mmvg.pth'

model = dict(
    type='VLTVG',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        # conv1, bn1 and layer1 never train, as in DETR.
        frozen_stages=1,
        norm_cfg=dict(type='FrozenBN'),
        norm_eval=True,
        style='pytorch'),
    backbone_channels=2048,
    embed_dims=256,
    positional_encoding=dict(num_feats=128, normalize=True),
    visual_encoder=dict(
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=256, num_heads=8, dropout=0.1, batch_first=True),
            ffn_cfg=dict(
                embed_dims=256,
                feedforward_channels=2048,
                num_fcs=2,
                ffn_drop=0.1,
                act_cfg=dict(type='ReLU', inplace=True)))),
    text_encoder=dict(
        type='BertTextEncoder',
        pretrained=bert_dir,
        config={{_base_.bert_base}},
        num_output_layers=4),
    verification=dict(
        embed_dims=256,
        num_heads=8,
        attn_drop=0.1,
        score_scale=1.0,
        sigma=0.5,
        power=2.0,
        query_with_pos=False),
    context_encoder=dict(
        embed_dims=256, num_heads=8, attn_drop=0.1, max_offset=20),
    decoder=dict(
        num_layers=6,
        num_queries=1,
        layer_cfg=dict(
            embed_dims=256,
            num_heads=8,
            attn_drop=0.1,
            feedforward_channels=2048,
            ffn_drop=0.)),
    bbox_head=dict(
        type='VLTVGHead',
        embed_dims=256,
        num_reg_fcs=3,
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
    # The official code pads with an all-False mask.
    mask_padding=False,
    init_cfg=dict(type='Pretrained', checkpoint=detr_checkpoint))

# BERT query length 40 (the official max_query_len).
tokenizer = dict(type='HFTokenizer', name_or_path=bert_dir, max_length=40)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='RandomFlipVG', prob=0.5),
    dict(
        type='RandomChoiceResize',
        scales=[(s, s) for s in range(448, 641, 32)],
        keep_ratio=True),
    dict(type='RandomCropKeepTarget', ratio_range=(0.6, 1.0), prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Tokenize', tokenizer=tokenizer),
    dict(type='Pad', size=(640, 640), pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='Resize', scale=(640, 640), keep_ratio=True),
    dict(type='Tokenize', tokenizer=tokenizer),
    dict(type='Pad', size=(640, 640), pad_val=dict(img=0)),
    dict(type='PackVGInputs')
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# The official accuracy counts IoU > 0.5 (strictly greater).
val_evaluator = dict(type='RECMetric', strict=True)
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'input_proj': dict(lr_mult=0.1),
            'visual_encoder': dict(lr_mult=0.1),
            'text_encoder': dict(lr_mult=0.1),
        }))
custom_hooks = [
    dict(
        type='FreezeModulesHook',
        modules=['backbone', 'input_proj', 'visual_encoder', 'text_encoder'],
        freeze_epochs=10)
]
# Frozen modules receive no gradients during the first epochs.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
# 4 GPUs x 16 images.
auto_scale_lr = dict(enable=False, base_batch_size=64)

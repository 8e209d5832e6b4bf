_base_ = ['_tiny_runtime.py']

dims = 32
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
        depth=18,
        base_channels=8,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=1,
        norm_cfg=dict(type='FrozenBN'),
        norm_eval=True,
        style='pytorch'),
    backbone_channels=64,
    embed_dims=dims,
    positional_encoding=dict(num_feats=dims // 2, normalize=True),
    visual_encoder=dict(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=dims, num_heads=2, dropout=0.0, batch_first=True),
            ffn_cfg=dict(
                embed_dims=dims, feedforward_channels=64, ffn_drop=0.0))),
    text_encoder=dict(
        type='BertTextEncoder',
        config=dict(
            vocab_size=32,
            hidden_size=dims,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=16),
        num_output_layers=2,
        add_pooling_layer=False),
    verification=dict(embed_dims=dims, num_heads=2),
    context_encoder=dict(embed_dims=dims, num_heads=2, max_offset=4),
    decoder=dict(
        num_layers=2,
        layer_cfg=dict(embed_dims=dims, num_heads=2, feedforward_channels=64)),
    bbox_head=dict(type='VLTVGHead', embed_dims=dims))
val_evaluator = dict(type='RECMetric')
test_evaluator = val_evaluator

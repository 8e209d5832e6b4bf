# The VLTVG grounder of the quick start, sized down for a CPU and trained
# from scratch on the synthetic shapes: ResNet-18 at 1/4 width truncated
# after its third stage (stride 16), 64-channel transformer parts with 1
# encoder layer and the paper's 6 decoder stages, a 2-layer BERT-style
# text encoder over the synthetic word vocabulary.
# Two auxiliary heads stand in for the paper's DETR weights
# (configs/vltvg/README.md): ``verify`` supervises the verification scores
# with the gt box (BoxMapLoss), without which the box loss alone took
# thousands of iterations to single out the referred object; ``category``
# classifies the visual features under the gt box by the referred object's
# shape, without which the backbone never learned shapes and "the circle"
# scored 1%. The category head needs ``LoadVGAnnotations(with_category=
# True)`` in the training pipeline.
dims = 64
model = dict(
    type='VLTVG',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=16,
        # The word vocabulary of the synthetic train split, written with
        # the dataset (configs/_base_/datasets/synthetic.py).
        tokenizer=dict(
            type='WordVocabTokenizer',
            vocab_file='data/synthetic/annotations/vocab.json',
            max_length=15)),
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
        add_pooling_layer=False),
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
    head=dict(type='VLTVGHead', embed_dims=dims),
    aux_heads=dict(
        verify=dict(
            type='BoxMapHead',
            loss_map=dict(type='BoxMapLoss', loss_weight=5.0)),
        # The synthetic category ids are 1-4 (circle, square, triangle,
        # diamond).
        category=dict(
            type='CellCategoryHead',
            in_channels=dims,
            num_classes=5,
            loss_weight=5.0)),
    mask_padding=False)

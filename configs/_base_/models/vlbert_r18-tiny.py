# The VL-BERT of the quick start, sized down for a CPU and trained from
# scratch on the synthetic shapes: ResNet-18 at 1/4 width cut after its
# second stage (stride 8, 32 channels), two dilated 64-channel C5 blocks
# over 7x7 RoIs, a 16-frequency box embedding, and a 2-layer, 64-wide
# visual-linguistic BERT over the synthetic word vocabulary.
# The ``category`` auxiliary head classifies the pooled RoI features of the
# regions on the referred object by its shape, in place of the paper's
# detection-trained ResNet and region-classification pre-training: without
# it the ranking learnt colours but hardly shapes (configs/vlbert/README.md).
# It needs ``LoadVGAnnotations(with_category=True)`` in the training
# pipeline.
dims = 64
model = dict(
    type='VLBERT',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=16,
        tokenizer=dict(
            type='WordVocabTokenizer',
            vocab_file='data/synthetic/annotations/vocab.json',
            max_length=15)),
    # From scratch: BatchNorm trains, no stage is frozen.
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=2,
        strides=(1, 2),
        dilations=(1, 1),
        out_indices=(1, ),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    roi_head=dict(
        depth=18,
        in_channels=32,
        planes=64,
        num_blocks=2,
        dilation=2,
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False),
    roi_size=7,
    feat_stride=8,
    coord_feats=16,
    region_dropout=0.0,
    vlbert=dict(
        vocab_size=32,
        hidden_size=dims,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        max_position_embeddings=64,
        # The regions' features count in full from the start (the
        # official 0 suits a pre-trained VL-BERT that learnt to read them).
        visual_scale_object_init=1.0),
    head=dict(type='RegionRankHead', in_channels=dims),
    # The synthetic category ids are 1-4 (circle, square, triangle,
    # diamond).
    aux_heads=dict(
        category=dict(
            type='RegionCategoryHead',
            in_channels=dims,
            num_classes=5,
            loss_weight=1.0)))

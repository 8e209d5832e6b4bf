# The ALVG grounder of the quick start, sized down for a CPU and trained
# from scratch on the synthetic shapes: a 4-layer BEiT-3 of 96 channels on
# 128x128 images in 16x16 patches (an 8x8 grid), the synthetic
# SentencePiece model as its text vocabulary, and the official head at 64
# channels (2 query-generator layers, 3 decoder layers, the mask head).
# New training configs train without the quirks of the official
# checkpoints (configs/alvg/README.md).
dims = 96
head_dims = 64
attn = dict(embed_dims=head_dims, num_heads=4, attn_drop=0.0)
model = dict(
    type='ALVG',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=16,
        # The SentencePiece model of the synthetic train split, written
        # with the dataset (configs/_base_/datasets/synthetic.py).
        tokenizer=dict(
            type='BEiT3Tokenizer',
            spm_file='data/synthetic/annotations/synthetic.spm',
            max_length=20)),
    backbone=dict(
        type='BEiT3',
        embed_dims=dims,
        num_layers=4,
        num_heads=4,
        ffn_dims=2 * dims,
        img_size=128,
        patch_size=16,
        # SentencePiece ids + 1 (XLM-R layout); the synthetic model has
        # 96 pieces.
        vocab_size=128),
    head=dict(
        type='ALVGHead',
        in_channels=dims,
        embed_dims=head_dims,
        query_generator=dict(
            decoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=attn,
                    cross_attn_cfg=attn,
                    ffn_cfg=dict(
                        embed_dims=head_dims,
                        feedforward_channels=2 * head_dims)))),
        decoder=dict(
            num_layers=3,
            layer_cfg=dict(
                embed_dims=head_dims,
                num_heads=4,
                feedforward_channels=2 * head_dims,
                dropout=0.0)),
        text_pos_int_freq=False,
        chain_decoder_queries=True,
        mask_loss_double_sigmoid=False,
        text_pool_quirk=False),
    # A from-scratch aid, as in the VLTVG quick start: classifying the
    # patches under the gt box by the referred shape teaches the encoder
    # shapes sooner. The synthetic category ids are 1-4.
    aux_heads=dict(
        category=dict(
            type='CellCategoryHead',
            in_channels=dims,
            num_classes=5,
            loss_weight=5.0)))

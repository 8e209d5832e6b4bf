# The SimREC of the quick start, sized down for a CPU and trained from
# scratch on the synthetic shapes: the YOLOv5 CSPDarkNet at 1/3 depth and
# 1/4 width (64/128/256 channels at strides 8/16/32, nothing frozen), the
# GRU + self-attention text encoder at 128 channels with 64-d word
# embeddings learnt from scratch (no GloVe), 128-channel fusion, pyramid,
# GARAN attention and head.
dims = 128
model = dict(
    type='SimREC',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        # The word vocabulary of the synthetic train split, written with
        # the dataset (configs/_base_/datasets/synthetic.py).
        tokenizer=dict(
            type='WordVocabTokenizer',
            vocab_file='data/synthetic/annotations/vocab.json',
            max_length=15)),
    backbone=dict(
        type='CSPDarkNetV6',
        deepen_factor=0.33,
        widen_factor=0.25,
        out_indices=(4, 6, 9),
        frozen_stages=-1),
    text_encoder=dict(
        type='GRUSATextEncoder',
        vocab_file='data/synthetic/annotations/vocab.json',
        glove_file=None,
        word_dims=64,
        embed_dims=dims,
        depth=1,
        num_heads=4,
        ffn_dims=2 * dims,
        dropout=0.0,
        freeze_embedding=False),
    fusions=[
        dict(type='SimpleFusion', v_planes=64, q_planes=dims, out_planes=dims),
        dict(
            type='SimpleFusion', v_planes=128, q_planes=dims, out_planes=dims),
        dict(
            type='SimpleFusion', v_planes=256, q_planes=dims, out_planes=dims),
    ],
    neck=dict(
        type='MultiScaleFusion',
        v_planes=(dims, dims, dims),
        hidden_planes=dims,
        scaled=True),
    attention=dict(type='GaranAttention', d_q=dims, d_v=dims, attn_drop=0.0),
    head=dict(type='SimRECHead', in_channels=dims, feat_channels=dims // 2))

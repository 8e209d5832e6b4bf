# The SimREC of the quick start, sized down for a CPU and trained from
# scratch on the synthetic shapes: the YOLOv5 CSPDarkNet at 1/3 depth and
# 1/4 width, truncated after its stride-16 stage (32/64/128 channels at
# strides 4/8/16, nothing frozen), so that the box grid of a 128-pixel
# input is 8x8 (at stride 32 the 4x4 cells held several shapes each and
# the recipe reached 56%); the GRU + self-attention text encoder at 64
# channels with 64-d word embeddings learnt from scratch (no GloVe);
# 64-channel fusion, pyramid, GARAN attention and head.
# One auxiliary head stands in for the COCO detection training of the
# paper's backbone: ``category`` classifies the backbone's stride-16 map
# under the gt box by the referred shape (69.6% without it, same recipe).
# It needs ``LoadVGAnnotations(with_category=True)`` in training.
dims = 64
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
        out_indices=(2, 4, 6),
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
        dict(type='SimpleFusion', v_planes=32, q_planes=dims, out_planes=dims),
        dict(type='SimpleFusion', v_planes=64, q_planes=dims, out_planes=dims),
        dict(
            type='SimpleFusion', v_planes=128, q_planes=dims, out_planes=dims),
    ],
    neck=dict(
        type='MultiScaleFusion',
        v_planes=(dims, dims, dims),
        hidden_planes=dims,
        scaled=True),
    attention=dict(type='GaranAttention', d_q=dims, d_v=dims, attn_drop=0.0),
    head=dict(
        type='SimRECHead', in_channels=dims, feat_channels=dims, stride=16),
    # The synthetic category ids are 1-4 (circle, square, triangle,
    # diamond).
    aux_heads=dict(
        category=dict(
            type='CellCategoryHead',
            in_channels=128,
            num_classes=5,
            loss_weight=5.0,
            in_key='stride32')))

# The MCN of the quick start, sized down for a CPU and trained from scratch
# on the synthetic shapes: DarkNet-53 at 1/3 depth and 1/4 width, truncated
# after its stride-16 stage (32/64/128 channels at strides 4/8/16, nothing
# frozen), so that the box grid of a 128-pixel input is 8x8 and the mask
# branch reads a stride-4 map; the GRU + self-attention text encoder at 64
# channels with learnt word embeddings; 64-channel pyramid, attentions and
# head; anchors the size of the synthetic shapes at that input (10-30
# pixels). As in the SimREC quick start, the ``category`` auxiliary head
# stands in for the backbone's COCO training (it needs
# ``LoadVGAnnotations(with_category=True)`` in training).
dims = 64
model = dict(
    type='MCN',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        tokenizer=dict(
            type='WordVocabTokenizer',
            vocab_file='data/synthetic/annotations/vocab.json',
            max_length=15)),
    backbone=dict(
        type='DarkNet53',
        deepen_factor=0.33,
        widen_factor=0.25,
        out_indices=(4, 6, 8),
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
    fusion=dict(
        type='SimpleFusion', v_planes=128, q_planes=dims, out_planes=128),
    neck=dict(
        type='MultiScaleFusion',
        v_planes=(32, 64, 128),
        hidden_planes=dims,
        scaled=True),
    det_attention=dict(
        type='GaranAttention', d_q=dims, d_v=dims, attn_drop=0.0),
    seg_attention=dict(
        type='GaranAttention', d_q=dims, d_v=dims, attn_drop=0.0),
    head=dict(
        type='MCNHead',
        in_channels=dims,
        hidden_channels=dims,
        stride=16,
        mask_stride=4,
        anchors=((12, 12), (18, 18), (26, 26)),
        # The official 640 for a 416 input, scaled by the pixel count to
        # 128: the mask loss keeps its official weight against the box
        # loss (at 640 it would be 10 times weaker here).
        seg_loss_norm=60.),
    # The synthetic category ids are 1-4 (circle, square, triangle,
    # diamond).
    aux_heads=dict(
        category=dict(
            type='CellCategoryHead',
            in_channels=128,
            num_classes=5,
            loss_weight=5.0,
            in_key='stride32')))

# VL-BERT base (ICLR'20) for referring expressions, as the official
# cfgs/refcoco/base_detected_regions_4x16G.yaml: a Caffe-style ResNet-101 C4
# (conv1 and layer1 frozen, frozen BatchNorm) encodes the image, RoIAlign
# (14x14, one sample per bin, no half-pixel shift) cuts every proposal, the
# dilated C5 stage and an average pool give 2048 channels, a sine
# embedding of the box comes first, and a linear layer projects both to
# 768; a 12-layer visual-linguistic BERT reads the words and the regions,
# and the head scores every region.
#
# Local copies of the pretrained weights (no hub access at run time):
#   the pre-trained VL-BERT (vl-bert-base-e2e.model) converted with
#   python tools/model_converters/vlbert_to_mmvg.py \
#       vl-bert-base-e2e.model pretrained/vl-bert-base-e2e_mmvg.pth
#   and the bert-base-uncased vocabulary (the tokenizer reads vocab.txt).
bert_dir = 'data/bert-base-uncased'
hidden = 768

model = dict(
    type='VLBERT',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        # Caffe's BGR pixel means, no scaling; images load as BGR.
        mean=[102.9801, 115.9465, 122.7717],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=1,
        # The official code never cuts an expression; 64 word pieces
        # hold every RefCOCO-family expression.
        tokenizer=dict(
            type='HFTokenizer', name_or_path=bert_dir, max_length=64)),
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='caffe'),
    roi_head=dict(
        depth=101,
        in_channels=1024,
        planes=512,
        num_blocks=3,
        dilation=2,
        style='caffe',
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True),
    roi_size=14,
    feat_stride=16,
    coord_feats=256,
    region_dropout=0.1,
    vlbert=dict(
        vocab_size=30522,
        hidden_size=hidden,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=512,
        type_vocab_size=3),
    head=dict(
        type='RegionRankHead',
        in_channels=hidden,
        dropout=0.0,
        pos_iou_thr=0.5,
        legacy_plus_one=True),
    init_cfg=dict(
        type='Pretrained', checkpoint='pretrained/vl-bert-base-e2e_mmvg.pth'))

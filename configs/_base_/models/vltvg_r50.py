# VLTVG (CVPR'22) with ResNet-50 and bert-base-uncased, as the official
# configs/VLTVG_R50_unc.py: a ResNet + DETR encoder and BERT encode the two
# modalities, the verification module scores every position against the
# expression, the language-guided context encoder gathers the referred
# object's context, and 6 decoder stages refine one query into a box.
#
# Local copies of the pretrained weights (no hub access at run time):
#   bert-base-uncased in the transformers format, and the DETR checkpoint
#   VLTVG starts from (TransVG's detr-r50-unc.pth), converted with
#   python tools/model_converters/vltvg_to_mmvg.py --detr \
#       detr-r50-unc.pth pretrained/detr-r50-unc_mmvg.pth
# Leaves on RefCOCOg, ReferIt and Flickr30k name the DETR checkpoint of
# their dataset in ``model.init_cfg``.
bert_dir = 'data/bert-base-uncased'

model = dict(
    type='VLTVG',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        # BERT query length 40 (the official max_query_len).
        tokenizer=dict(
            type='HFTokenizer', name_or_path=bert_dir, max_length=40),
        # On the CPU, keep freed memory for the next step instead of
        # page-faulting ~1.4 GB of activations in again per step (1.4x
        # slower test steps than the official code otherwise).
        retain_cpu_memory=True),
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
    # ``config`` (the bert-base-uncased architecture) lets the model build
    # without the weights (config tests, converters); ``init_weights``
    # loads them from ``pretrained``.
    text_encoder=dict(
        type='BertTextEncoder',
        pretrained=bert_dir,
        config=dict(
            vocab_size=30522,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=512,
            type_vocab_size=2),
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
    head=dict(
        type='VLTVGHead',
        embed_dims=256,
        num_reg_fcs=3,
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
    # The official code pads with an all-False mask.
    mask_padding=False,
    init_cfg=dict(
        type='Pretrained', checkpoint='pretrained/detr-r50-unc_mmvg.pth'))

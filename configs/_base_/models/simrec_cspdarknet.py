# SimREC with the YOLOv5-L CSPDarkNet and the GRU + self-attention text
# encoder, as the official configs/common/models/simrec.py: the backbone's
# stride-8/16/32 maps are each multiplied with the sentence vector, mixed
# by a top-down and bottom-up pyramid, weighed by a GARAN attention at
# stride 32, and a YOLOX-style anchor-free head predicts one box.
#
# Local files (nothing is downloaded):
#   the COCO CSPDarkNet the official code starts from, converted with
#   python tools/model_converters/cspdarknet_to_mmvg.py \
#       cspdarknet_coco.pth pretrained/cspdarknet_coco_mmvg.pth
#   the word vocabulary of the annotations (data_tools/build_vocab.py
#   --order first_seen over every split, as the official code builds it),
#   and GloVe (glove.840B.300d, docs/en/prepare_data.md).
# Leaves set the vocabulary file in both places that read it.
vocab_file = 'data/annotations/refcoco_unc_vocab.json'

model = dict(
    type='SimREC',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        # Inputs in [0, 1], RGB, as the official ToTensor() + Normalize
        # with mean 0 and std 1.
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        tokenizer=dict(
            type='WordVocabTokenizer', vocab_file=vocab_file, max_length=15),
        # One size per batch from 224 to 608, resized with nearest.
        batch_augments=[
            dict(
                type='BatchMultiScaleResize', sizes=list(range(224, 609, 32)))
        ]),
    backbone=dict(
        type='CSPDarkNetV6',
        out_indices=(4, 6, 9),
        # The official freeze_backbone: layers 0-7 keep their COCO weights
        # (their BatchNorm statistics still update).
        frozen_stages=7,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/cspdarknet_coco_mmvg.pth',
            prefix='backbone.')),
    text_encoder=dict(
        type='GRUSATextEncoder',
        vocab_file=vocab_file,
        glove_file='data/glove/glove.840B.300d.txt',
        depth=1,
        freeze_embedding=True),
    fusions=[
        dict(type='SimpleFusion', v_planes=256, q_planes=512, out_planes=512),
        dict(type='SimpleFusion', v_planes=512, q_planes=512, out_planes=512),
        dict(type='SimpleFusion', v_planes=1024, q_planes=512, out_planes=512),
    ],
    neck=dict(type='MultiScaleFusion', v_planes=(512, 512, 512), scaled=True),
    attention=dict(type='GaranAttention', d_q=512, d_v=512),
    head=dict(type='SimRECHead', in_channels=512))

# The loss reaches neither the pyramid's stride-8/16 outputs nor the GARAN
# map conv (it only draws the heat map); like the official training, DDP
# looks for unused parameters.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# MCN (CVPR'20) as reimplemented in the SimREC repository
# (configs/common/models/mcn.py): DarkNet-53, the GRU + self-attention text
# encoder with 3 blocks, the sentence vector fused into the stride-32 map,
# the multi-scale pyramid, one GARAN attention for the box (stride 32) and
# one for the mask (stride 8), and a head that predicts both: YOLOv3's
# anchor box and an ASPP mask, with the consistency energy loss.
#
# Local files (nothing is downloaded):
#   the COCO DarkNet-53 of YOLOv3 (darknet format), converted with
#   python tools/model_converters/darknet_weights_to_mmvg.py \
#       yolov3.weights pretrained/darknet53_coco_mmvg.pth
#   the word vocabulary (data_tools/build_vocab.py --order first_seen) and
#   GloVe (docs/en/prepare_data.md).
vocab_file = 'data/annotations/refcoco_unc_vocab.json'

model = dict(
    type='MCN',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        tokenizer=dict(
            type='WordVocabTokenizer', vocab_file=vocab_file, max_length=15),
        # The official MCN config disables multi-scale training, but the
        # training loop tests the setting's dict, not its `enabled` flag,
        # so the official MCN trained multi-scale like SimREC.
        batch_augments=[
            dict(
                type='BatchMultiScaleResize', sizes=list(range(224, 609, 32)))
        ]),
    backbone=dict(
        type='DarkNet53',
        out_indices=(6, 8, 13),
        # The official freeze_backbone: all but the last two layers.
        frozen_stages=11,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/darknet53_coco_mmvg.pth',
            prefix='backbone.')),
    text_encoder=dict(
        type='GRUSATextEncoder',
        vocab_file=vocab_file,
        glove_file='data/glove/glove.840B.300d.txt',
        depth=3,
        freeze_embedding=True),
    fusion=dict(
        type='SimpleFusion', v_planes=1024, q_planes=512, out_planes=1024),
    neck=dict(type='MultiScaleFusion', v_planes=(256, 512, 1024), scaled=True),
    det_attention=dict(type='GaranAttention', d_q=512, d_v=512),
    seg_attention=dict(type='GaranAttention', d_q=512, d_v=512),
    head=dict(type='MCNHead', in_channels=512, hidden_channels=512))

# As the official training, DDP looks for unused parameters: the
# pyramid's stride-16 output and the GARAN map convs (which only draw the
# heat maps) get no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# ALVG (NeurIPS'24, official yscfromchina/ALVG) with BEiT-3 ViT-B in 32x32
# patches at 640x640 (a 20x20 grid): one multiway transformer reads the
# image and up to 20 SentencePiece tokens; the text-guided query head
# predicts the box and the mask. The head's three quirks are on, as the
# official checkpoints were trained (configs/alvg/README.md).
#
# Local copies of the pretrained files (no hub access at run time):
#   data/beit3/beit3.spm (the BEiT-3 SentencePiece model) and
#   pretrained/beit3_base_indomain_patch16_224.pth, the BEiT-3 release,
#   read as it is (its 16x16 patch kernel and 224 positions are resized).
# Both are in github.com/microsoft/unilm/tree/master/beit3.
model = dict(
    type='ALVG',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        tokenizer=dict(
            type='BEiT3Tokenizer',
            spm_file='data/beit3/beit3.spm',
            max_length=20)),
    backbone=dict(
        type='BEiT3',
        arch='base',
        img_size=640,
        patch_size=32,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/beit3_base_indomain_patch16_224.pth')),
    head=dict(
        type='ALVGHead',
        in_channels=768,
        embed_dims=256,
        num_queries=1,
        with_mask=False,
        score_attn_loss_weight=40.,
        decoder_attn_loss_weight=1.,
        text_pos_int_freq=True,
        chain_decoder_queries=False,
        mask_loss_double_sigmoid=True,
        text_pool_quirk=True))

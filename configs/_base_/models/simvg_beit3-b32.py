# SimVG (NeurIPS'24, official Dmmm1997/SimVG) with BEiT-3 ViT-B in 32x32
# patches at 640x640 (a 20x20 grid): one multiway transformer reads the
# image and up to 20 SentencePiece tokens; the head's decoder branch (DB)
# and token branch (TB) each predict the box, the TB learning from the gt
# and, by balanced distillation, from the DB. The text quirks of the
# official head are on, as its checkpoints were trained
# (configs/simvg/README.md).
#
# Local copies of the pretrained files (no hub access at run time):
#   data/beit3/beit3.spm (the BEiT-3 SentencePiece model) and
#   pretrained/beit3_base_patch16_224.pth, the BEiT-3 release SimVG starts
#   from, read as it is (its 16x16 patch kernel and 224 positions are
#   resized). Both are in github.com/microsoft/unilm/tree/master/beit3.
model = dict(
    type='SimVG',
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
            checkpoint='pretrained/beit3_base_patch16_224.pth')),
    head=dict(
        type='SimVGHead',
        in_channels=768,
        embed_dims=256,
        num_queries=1,
        num_token_mlp_layers=1,
        # The official one-stage recipe: DB 1, TB 2 x (1 - w) on the gt,
        # 1 x w on the DB's box.
        branch_loss_weights=dict(decoder=1., token=2., distill=1.),
        predict_branch='decoder',
        text_pos_int_freq=True,
        text_pool_quirk=True))

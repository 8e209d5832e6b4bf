# LAVT (CVPR'22, the official `lavt`): Swin-B (window 12, ImageNet-22k
# 384 weights) with a pixel-word attention module and a language gate in
# every stage, bert-base-uncased, and the simple mask decoder with
# cross-entropy (class weights 0.9/1.1). ``type='LAVTOne'`` is the
# official `lavt_one` (BERT inside the model), otherwise the same.
bert_dir = 'data/bert-base-uncased'
swin_ckpt = 'data/pretrained/swin_base_patch4_window12_384_22k_mmvg.pth'

model = dict(
    type='LAVT',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1,
        pad_mask=False,
        # LAVT encodes the whole expression and keeps the first 20 ids,
        # dropping [SEP] of long expressions; no padding to 20.
        tokenizer=dict(
            type='HFTokenizer',
            name_or_path=bert_dir,
            max_length=20,
            truncation='ids',
            pad_to_max_length=False)),
    # ``config`` (the bert-base-uncased architecture) lets the model build
    # without the weights; ``init_weights`` loads them from ``pretrained``.
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
        add_pooling_layer=False),
    backbone=dict(
        type='LAVTSwinTransformer',
        pretrain_img_size=384,
        embed_dims=128,
        depths=(2, 2, 18, 2),
        num_heads=(4, 8, 16, 32),
        window_size=12,
        drop_path_rate=0.3,
        lang_channels=768,
        pwam_num_heads=(1, 1, 1, 1),
        pwam_dropout=0.0,
        init_cfg=dict(type='Pretrained', checkpoint=swin_ckpt)),
    head=dict(
        type='LAVTMaskHead',
        in_channels=(128, 256, 512, 1024),
        loss_ce=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            class_weight=[0.9, 1.1],
            loss_weight=1.0)))

# LAVT trains with SyncBN in the decoder on several GPUs. The last stage's
# language gate feeds nothing (as in LAVT), hence find_unused_parameters.
sync_bn = 'torch'
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

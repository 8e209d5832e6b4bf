# The LAVT of the quick start, sized down for a CPU and trained from
# scratch on the synthetic shapes at 96x96: Swin at width 16 with window 4
# and a 2-layer BERT-style text encoder over the synthetic word
# vocabulary. Cross-entropy as LAVT plus Dice, which speeds up short CPU
# runs.
dims = 16
model = dict(
    type='LAVT',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        # The word vocabulary of the synthetic train split, written with
        # the dataset (configs/_base_/datasets/synthetic.py).
        tokenizer=dict(
            type='WordVocabTokenizer',
            vocab_file='data/synthetic/annotations/vocab.json',
            max_length=15)),
    text_encoder=dict(
        type='BertTextEncoder',
        config=dict(
            vocab_size=64,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=16,
            # No dropout: a text encoder learnt from scratch in a few
            # thousand steps trains far slower with it (oIoU 55.4 -> 59.9
            # at 2000 iterations).
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0),
        add_pooling_layer=False),
    backbone=dict(
        type='LAVTSwinTransformer',
        pretrain_img_size=96,
        embed_dims=dims,
        depths=(2, 2, 2, 2),
        num_heads=(1, 2, 4, 8),
        window_size=4,
        drop_path_rate=0.1,
        lang_channels=64),
    head=dict(
        type='LAVTMaskHead',
        in_channels=[dims * 2**i for i in range(4)],
        loss_dice=dict(
            type='DiceLoss',
            use_sigmoid=True,
            activate=False,
            naive_dice=True,
            loss_weight=1.0)))

_base_ = ['_tiny_runtime.py']

model = dict(
    type='LAVT',
    data_preprocessor=dict(
        type='VGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    text_encoder=dict(
        type='BertTextEncoder',
        config=dict(
            vocab_size=32,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=16),
        add_pooling_layer=False,
        max_length=15),
    backbone=dict(
        type='LAVTSwinTransformer',
        pretrain_img_size=64,
        embed_dims=16,
        depths=(2, 2, 2, 2),
        num_heads=(1, 2, 2, 4),
        window_size=4,
        drop_path_rate=0.0,
        lang_channels=32),
    decode_head=dict(type='LAVTMaskHead', in_channels=(16, 32, 64, 128)))
val_evaluator = dict(type='RESMetric')
test_evaluator = val_evaluator
# The last stage's language gate feeds nothing (as in LAVT): DDP must look
# for unused parameters, as in the full-size LAVT configs.
find_unused_parameters = True

# ALVG at ViT-L width (1024 channels, 16 heads, FFN 4096, 32x32 patches)
# cut to 2 BEiT-3 layers and a 64-piece vocabulary, with the full-size head,
# on 64x64 in-memory images. The SentencePiece model is written by the test
# (--cfg-options model.data_preprocessor.tokenizer.spm_file=...).
_base_ = [
    '../../../configs/_base_/models/alvg_beit3-b32.py', '_tiny_runtime.py'
]

model = dict(
    data_preprocessor=dict(tokenizer=dict(spm_file=None)),
    backbone=dict(
        arch='large',
        num_layers=2,
        img_size=64,
        vocab_size=64,
        drop_path_rate=0.,
        init_cfg=None),
    head=dict(in_channels=1024, with_mask=True, score_attn_loss_weight=32.))
val_evaluator = [dict(type='RECMetric'), dict(type='RESMetric')]
test_evaluator = val_evaluator

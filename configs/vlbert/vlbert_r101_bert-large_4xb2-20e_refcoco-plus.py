# VL-BERT large on RefCOCO+ (unc) with detected regions, as the official
# cfgs/refcoco/large_detected_regions_4x16G.yaml: the base recipe with 2
# images per GPU and 4 accumulated steps (32 per update).
_base_ = './vlbert_r101_bert-base_4xb4-20e_refcoco-plus.py'

model = dict(
    data_preprocessor=dict(
        tokenizer=dict(name_or_path='data/bert-large-uncased')),
    vlbert=dict(
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096),
    head=dict(in_channels=1024),
    init_cfg=dict(checkpoint='pretrained/vl-bert-large-e2e_mmvg.pth'))
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=2)
test_dataloader = val_dataloader
optim_wrapper = dict(accumulative_counts=4)
auto_scale_lr = dict(base_batch_size=8)

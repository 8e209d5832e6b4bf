# SimREC's vision-language pretraining on the merged 0.2M set (official
# configs/simrec_pretrain.py): the RefCOCO recipe for 15 epochs with the
# whole backbone training. The training file comes from
# data_tools/merge_pretrain.py, which removes every image of RefCOCO/+/g
# val and test; the vocabulary is built from it. Validation on RefCOCO val.
_base_ = './simrec_cspdarknet_gru-sa_4xb8-25e_refcoco.py'

vocab_file = 'data/annotations/mixed_pretrain_vocab.json'
model = dict(
    data_preprocessor=dict(tokenizer=dict(vocab_file=vocab_file)),
    backbone=dict(frozen_stages=-1),
    text_encoder=dict(vocab_file=vocab_file))
train_dataloader = dict(
    dataset=dict(
        type='VGDataset', ann_file='annotations/mixed_pretrain_train.jsonl'))

max_epochs = 15
warmup_epochs = 3
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        T_max=max_epochs - warmup_epochs,
        convert_to_iter_based=True)
]

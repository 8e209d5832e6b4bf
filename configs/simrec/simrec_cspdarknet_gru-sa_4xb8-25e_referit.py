# SimREC from the COCO CSPDarkNet on ReferIt (berkeley), with the recipe of the
# RefCOCO config and this dataset's own word vocabulary.
_base_ = './simrec_cspdarknet_gru-sa_4xb8-25e_refcoco.py'

vocab_file = 'data/annotations/referit_berkeley_vocab.json'
dataset_type = 'ReferItDataset'
ann_prefix = 'annotations/referit_berkeley_'
model = dict(
    data_preprocessor=dict(tokenizer=dict(vocab_file=vocab_file)),
    text_encoder=dict(vocab_file=vocab_file))
train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'val.json'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file=ann_prefix + 'test.json'))

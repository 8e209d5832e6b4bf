# SimREC fine-tuned on RefCOCO (unc) from the merged 0.2M pretraining
# (simrec_cspdarknet_gru-sa_4xb8-15e_mixed-pretrain.py): the RefCOCO recipe
# starting from the whole pretrained model. The word embedding carries
# over only with the pretraining vocabulary, so this config keeps it.
# (The official configs/simrec_refcoco_finetune.py points the backbone's
# non-strict loader at the whole-model file, which matches no key, and
# sets batch 4; the released numbers come from the recipe above.)
_base_ = './simrec_cspdarknet_gru-sa_4xb8-25e_refcoco.py'

vocab_file = 'data/annotations/mixed_pretrain_vocab.json'
model = dict(
    data_preprocessor=dict(tokenizer=dict(vocab_file=vocab_file)),
    text_encoder=dict(vocab_file=vocab_file, glove_file=None))
load_from = 'work_dirs/simrec_cspdarknet_gru-sa_4xb8-15e_mixed-pretrain/' \
    'epoch_15.pth'

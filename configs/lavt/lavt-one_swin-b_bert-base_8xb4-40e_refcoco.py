# The official `lavt_one` (BERT inside the model), cross-entropy loss.
_base_ = './lavt_swin-b_bert-base_8xb4-40e_refcoco.py'

model = dict(type='LAVTOne')

# The official `lavt_one` (BERT inside the model), cross-entropy loss.
_base_ = './lavt_swin-b_40e_refcocog_google.py'

model = dict(type='LAVTOne')

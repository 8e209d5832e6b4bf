# The quick start's tiny VL-BERT (mmvg.testing.get_grounder_cfg(
# '_base_/models/vlbert_r18-tiny.py')) ranking in-memory proposals.
_base_ = [
    '../../../configs/_base_/models/vlbert_r18-tiny.py', '_tiny_runtime.py'
]

model = dict(data_preprocessor=dict(tokenizer={{_base_.tiny_tokenizer}}))
train_dataloader = dict(dataset=dict(with_proposals=True))
val_dataloader = dict(dataset=dict(with_proposals=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='RECMetric')
test_evaluator = val_evaluator

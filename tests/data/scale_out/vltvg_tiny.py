# The quick start's tiny VLTVG (mmvg.testing.get_grounder_cfg(
# '_base_/models/vltvg_r18-tiny.py')) on 64x64 in-memory images.
_base_ = [
    '../../../configs/_base_/models/vltvg_r18-tiny.py', '_tiny_runtime.py'
]

model = dict(data_preprocessor=dict(tokenizer={{_base_.tiny_tokenizer}}))
val_evaluator = dict(type='RECMetric')
test_evaluator = val_evaluator

# The quick start's tiny LAVT (mmvg.testing.get_grounder_cfg(
# '_base_/models/lavt_swin-tiny.py')) on 64x64 in-memory images.
_base_ = [
    '../../../configs/_base_/models/lavt_swin-tiny.py', '_tiny_runtime.py'
]

model = dict(data_preprocessor=dict(tokenizer={{_base_.tiny_tokenizer}}))
val_evaluator = dict(type='RESMetric')
test_evaluator = val_evaluator
# The last stage's language gate feeds nothing (as in LAVT): DDP must look
# for unused parameters, as in the full-size LAVT configs.
find_unused_parameters = True
# LAVT's recipe leaves BERT's embeddings untrained (lr_mult=0): mmvg's
# constructor keeps them out of the optimizer under every strategy.
optim_wrapper = dict(
    constructor='VGOptimWrapperConstructor',
    paramwise_cfg=dict(
        custom_keys={'text_encoder.bert.embeddings.': dict(lr_mult=0.)}))

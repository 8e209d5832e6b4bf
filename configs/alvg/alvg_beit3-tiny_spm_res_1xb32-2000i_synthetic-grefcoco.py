# Quick start for generalized grounding: the small ALVG of
# alvg_beit3-tiny_spm_res_1xb32-2000i_synthetic.py with ten queries, trained on
# the gRefCOCO-style synthetic variant ("all red shapes", "the circles",
# and a colour-shape pair absent from the image), on CPU. A query scoring
# at least 0.7 is a predicted object; an expression without one has no
# target.
#   python tools/train.py \
#       configs/alvg/alvg_beit3-tiny_spm_res_1xb32-2000i_synthetic-grefcoco.py
_base_ = './alvg_beit3-tiny_spm_res_1xb32-2000i_synthetic.py'

model = dict(
    head=dict(
        num_queries=10,
        score_thr=0.7,
        score_attn_loss_weight=0.,
        decoder_attn_loss_weight=0.))
# SyntheticDataset(grefcoco=True) also writes the variant's files.
ann_prefix = 'annotations/grefcoco/synthetic_unc_'
train_dataloader = dict(
    dataset=dict(grefcoco=True, ann_file=ann_prefix + 'train.json'))
val_dataloader = dict(
    dataset=dict(grefcoco=True, ann_file=ann_prefix + 'val.json'))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='GRECMetric', score_thr=0.7),
    dict(type='GRESMetric')
]
test_evaluator = val_evaluator

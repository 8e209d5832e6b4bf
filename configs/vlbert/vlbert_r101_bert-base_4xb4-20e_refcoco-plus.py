# VL-BERT base on RefCOCO+ (unc) with detected regions, as the official
# cfgs/refcoco/base_detected_regions_4x16G.yaml: MAttNet's detections
# ranked with the whole-image box; training adds every annotated COCO box
# of the image. 4 GPUs x 4 images x 2 accumulated steps = 32 per update.
# Proposals files: docs/en/prepare_data.md ("Region proposals").
_base_ = [
    '../_base_/models/vlbert_r101_bert-base.py',
    '../_base_/datasets/refcoco_plus.py', '../_base_/schedules/vlbert_20e.py',
    '../_base_/default_runtime.py'
]

proposals = 'annotations/refcoco+_proposals_'
# The short side to 600 pixels, the long side at most 1000 (the official
# SCALES), no padding to a multiple: the model runs on stride-16 maps of
# any size.
img_scale = (1000, 600)
backend_args = None
train_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='LoadVGProposals', whole_image_box=True),
    dict(type='VGResize', scale=img_scale, keep_ratio=True),
    # Swaps "left" and "right" in the expression as it flips.
    dict(type='RandomFlipVG', prob=0.5),
    dict(type='PackVGInputs')
]
test_pipeline = [
    dict(type='LoadVGImage', backend_args=backend_args),
    dict(type='LoadVGAnnotations'),
    dict(type='CleanText'),
    dict(type='LoadVGProposals', whole_image_box=True),
    dict(type='VGResize', scale=img_scale, keep_ratio=True),
    dict(type='PackVGInputs')
]
train_dataloader = dict(
    batch_size=4,
    # Landscape and portrait images in separate batches (the official
    # ASPECT_GROUPING), which keeps the padding small.
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        proposal_file=[proposals + 'dets.json', proposals + 'gt.json'],
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(
        proposal_file=proposals + 'dets.json', pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(accumulative_counts=2)
# The official test: IoU >= 0.5 with box sides counted x2 - x1 + 1. (Its
# validation during training counts IoU > 0.5; mmvg validates with the
# test protocol.)
val_evaluator = dict(type='RECMetric', legacy_plus_one=True)
test_evaluator = val_evaluator

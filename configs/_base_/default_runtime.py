default_scope = 'mmvg'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # ``save_best='auto'`` keeps the checkpoint of the first metric the
    # evaluator reports (Acc@0.5 for REC, oIoU for RES).
    checkpoint=dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=3, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # One picture per expression with ``tools/test.py --show-dir``.
    visualization=dict(type='VGVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # Without CUDA mmvg falls back to gloo (see mmvg.engine.distributed).
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
# The expression, ground truth, prediction and heat maps side by side
# (docs/en/visualization.md); GREC/GRES configs set ``multi_target=True``.
visualizer = dict(
    type='VGLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False

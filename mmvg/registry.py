# Copyright (c) mmvg contributors. All rights reserved.
"""mmvg's registries.

Every registry is a child of mmdet's (or, for the roles mmdet does not
define, of mmengine's), so that under ``default_scope='mmvg'`` a config
builds mmvg's modules and mmdet's (``ResNet``, ``GIoULoss``, ...) by bare
name: a lookup falls back to the parent when mmvg has no such name.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import Registry


def _child(name: str, parent: Registry, location: str) -> Registry:
    return Registry(
        name, parent=parent, scope='mmvg', locations=[f'mmvg.{location}'])


RUNNERS = _child('runner', MMDET_RUNNERS, 'engine')
RUNNER_CONSTRUCTORS = _child('runner constructor', MMDET_RUNNER_CONSTRUCTORS,
                             'engine')
LOOPS = _child('loop', MMDET_LOOPS, 'engine')
HOOKS = _child('hook', MMDET_HOOKS, 'engine.hooks')
STRATEGIES = _child('strategy', MMENGINE_STRATEGIES, 'engine.strategies')

DATASETS = _child('dataset', MMDET_DATASETS, 'datasets')
DATA_SAMPLERS = _child('data sampler', MMDET_DATA_SAMPLERS, 'datasets')
TRANSFORMS = _child('transform', MMDET_TRANSFORMS, 'datasets.transforms')

MODELS = _child('model', MMDET_MODELS, 'models')
MODEL_WRAPPERS = _child('model wrapper', MMDET_MODEL_WRAPPERS, 'engine')
WEIGHT_INITIALIZERS = _child('weight initializer', MMDET_WEIGHT_INITIALIZERS,
                             'models')

OPTIMIZERS = _child('optimizer', MMDET_OPTIMIZERS, 'engine')
OPTIM_WRAPPERS = _child('optim wrapper', MMDET_OPTIM_WRAPPERS, 'engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMDET_OPTIM_WRAPPER_CONSTRUCTORS, 'engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMDET_PARAM_SCHEDULERS,
                          'engine')

METRICS = _child('metric', MMDET_METRICS, 'evaluation')
EVALUATOR = _child('evaluator', MMDET_EVALUATOR, 'evaluation')
TASK_UTILS = _child('task util', MMDET_TASK_UTILS, 'models')

VISUALIZERS = _child('visualizer', MMDET_VISUALIZERS, 'visualization')
VISBACKENDS = _child('vis_backend', MMDET_VISBACKENDS, 'visualization')
LOG_PROCESSORS = _child('log_processor', MMDET_LOG_PROCESSORS, 'visualization')

FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'datasets')
INFERENCERS = _child('inferencer', MMENGINE_INFERENCERS, 'apis')

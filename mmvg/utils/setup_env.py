# Copyright (c) mmvg contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmdet's modules, then mmvg's, into their registries.

    mmvg's registries are children of mmdet's, so mmdet's modules must be
    imported too for a config under ``default_scope='mmvg'`` to build
    ``ResNet`` or ``GIoULoss`` by bare name.

    Args:
        init_default_scope (bool): Whether to set the default scope to
            ``'mmvg'``, so that registries look up mmvg's modules first.
            Defaults to True.
    """
    from mmdet.utils import register_all_modules as register_mmdet_modules
    register_mmdet_modules(init_default_scope=False)

    import mmvg.apis  # noqa: F401,F403
    import mmvg.datasets  # noqa: F401,F403
    import mmvg.engine  # noqa: F401,F403
    import mmvg.evaluation  # noqa: F401,F403
    import mmvg.models  # noqa: F401,F403
    import mmvg.structures  # noqa: F401,F403
    import mmvg.visualization  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmvg', scope_name='mmvg')
    elif current.scope_name != 'mmvg':
        warnings.warn(f'The current default scope "{current.scope_name}" '
                      'is not "mmvg"; `register_all_modules` forces it to '
                      '"mmvg".')
        # A new instance name is needed: the old one cannot be reset.
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'mmvg-{stamp}', scope_name='mmvg')

# Copyright (c) mmvg contributors. All rights reserved.
import pytest

from mmvg.testing import quick_start_checkpoint, shapes_image

VLTVG_CONFIG = 'vltvg/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py'
LAVT_CONFIG = 'lavt/lavt_swin-tiny_bert-tiny_1xb16-3000i_synthetic.py'


@pytest.fixture(scope='module')
def quick_start(tmp_path_factory):
    """The VLTVG quick-start config, a checkpoint of its randomly
    initialised model and a shapes image."""
    root = tmp_path_factory.mktemp('apis')
    config_file, checkpoint = quick_start_checkpoint(VLTVG_CONFIG, str(root))
    return config_file, checkpoint, shapes_image(str(root / 'shapes.jpg'))


@pytest.fixture(scope='module')
def lavt_quick_start(tmp_path_factory):
    """The same for the LAVT quick start (a segmentation model)."""
    root = tmp_path_factory.mktemp('apis_lavt')
    return quick_start_checkpoint(LAVT_CONFIG, str(root))

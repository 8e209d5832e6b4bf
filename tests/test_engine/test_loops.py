# Copyright (c) mmvg contributors. All rights reserved.
import importlib.util
import json
import textwrap

import pytest
import torch
from mmengine.runner import Runner

from mmvg.engine import MultiSplitTestLoop
from mmvg.testing import run_tool

# A dataset whose samples carry the box an oracle model predicts, so that
# the expected metrics of each split are known by hand.
MODULE = textwrap.dedent('''
    import numpy as np
    import torch
    from mmengine.model import BaseModel
    from mmengine.structures import BaseDataElement, InstanceData
    from torch.utils.data import Dataset

    from mmvg.registry import DATASETS, MODELS

    HIT, MISS = [0., 0., 10., 10.], [50., 50., 60., 60.]


    @DATASETS.register_module(force=True)
    class PlannedSplit(Dataset):

        def __init__(self, split, planned):
            self.split = split
            self.planned = [HIT if p == 'hit' else MISS for p in planned]
            self.metainfo = dict(dataset_name='planned')

        def __len__(self):
            return len(self.planned)

        def __getitem__(self, index):
            sample = BaseDataElement(
                metainfo=dict(
                    text='the thing',
                    sent_id=index,
                    planned=self.planned[index],
                    ori_gt_bboxes=np.array([HIT], dtype=np.float32)))
            return dict(inputs=torch.zeros(3, 2, 2), data_samples=sample)


    @MODELS.register_module(force=True)
    class OracleModel(BaseModel):

        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Linear(1, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            for sample in data_samples:
                sample.pred_instances = InstanceData(
                    bboxes=torch.tensor([sample.planned]),
                    scores=torch.ones(1))
            return data_samples
''')

CONFIG = textwrap.dedent('''
    default_scope = 'mmvg'
    custom_imports = dict(imports=['planned_modules'])
    model = dict(type='OracleModel')
    _loader = dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False))
    test_dataloader = [
        dict(_loader, dataset=dict(
            type='PlannedSplit', split='val', planned=['hit', 'hit', 'miss'])),
        dict(_loader, dataset=dict(
            type='PlannedSplit', split='testA', planned=['hit', 'miss'])),
    ]
    test_evaluator = dict(type='RECMetric', range_thrs=None)
    test_cfg = dict(type='MultiSplitTestLoop')
''')


@pytest.fixture(scope='module')
def planned(tmp_path_factory):
    path = tmp_path_factory.mktemp('planned') / 'planned_modules.py'
    path.write_text(MODULE)
    spec = importlib.util.spec_from_file_location('planned_modules', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def loader(split, planned):
    return dict(
        dataset=dict(type='PlannedSplit', split=split, planned=planned),
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False))


def build_runner(tmp_path, test_cfg, evaluator=None):
    return Runner(
        model=dict(type='OracleModel'),
        work_dir=str(tmp_path),
        test_dataloader=[
            loader('val', ['hit', 'hit', 'miss']),
            loader('testA', ['hit', 'miss']),
        ],
        test_evaluator=evaluator or dict(type='RECMetric', range_thrs=None),
        test_cfg=test_cfg,
        default_scope='mmvg')


def test_metrics_are_prefixed_by_split(tmp_path, planned):
    out = tmp_path / 'lines.jsonl'
    evaluator = [
        dict(type='RECMetric', range_thrs=None),
        dict(type='DumpGroundingResults', out_file_path=str(out))
    ]
    runner = build_runner(
        tmp_path, dict(type='MultiSplitTestLoop'), evaluator=evaluator)
    metrics = runner.test()
    assert isinstance(runner.test_loop, MultiSplitTestLoop)
    assert metrics['val/rec/Acc@0.5'] == pytest.approx(200 / 3)
    assert metrics['val/rec/mIoU'] == pytest.approx(200 / 3)
    assert metrics['testA/rec/Acc@0.5'] == 50.0
    assert set(metrics) == {
        'val/rec/Acc@0.5', 'val/rec/mIoU', 'testA/rec/Acc@0.5',
        'testA/rec/mIoU'
    }
    # Hooks see the split being run; it ends on the last one.
    assert runner.test_dataloader.dataset.split == 'testA'
    assert runner.test_evaluator.dataset_meta['split'] == 'testA'
    # The dump appends the later splits and names each line's split.
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line['split'] for line in lines] == ['val'] * 3 + ['testA'] * 2
    assert [line['correct']
            for line in lines] == [True, True, False, True, False]


def test_split_names_and_per_split_evaluators(tmp_path, planned):
    test_cfg = dict(
        type='MultiSplitTestLoop',
        split_names=['a', 'b'],
        split_evaluators=[
            dict(type='RECMetric', range_thrs=None),
            dict(type='RECMetric', range_thrs=None, iou_thrs=(0.9, )),
        ])
    metrics = build_runner(tmp_path, test_cfg).test()
    assert set(metrics) == {
        'a/rec/Acc@0.5', 'a/rec/mIoU', 'b/rec/Acc@0.9', 'b/rec/mIoU'
    }


@pytest.mark.parametrize('test_cfg, message', [
    (dict(type='MultiSplitTestLoop', split_names=['x', 'x']), 'must differ'),
    (dict(type='MultiSplitTestLoop', split_names=['x']), '1 split names'),
    (dict(type='MultiSplitTestLoop',
          split_evaluators=[{}]), '1 split_evaluators'),
])
def test_bad_configuration(tmp_path, planned, test_cfg, message):
    with pytest.raises(ValueError, match=message):
        build_runner(tmp_path, test_cfg).test()


def test_test_tool_runs_all_splits_and_dumps_jsonl(tmp_path, planned,
                                                   monkeypatch):
    (tmp_path / 'planned_modules.py').write_text(MODULE)
    config = tmp_path / 'planned_config.py'
    config.write_text(CONFIG)
    model = planned.OracleModel()
    checkpoint = tmp_path / 'oracle.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    monkeypatch.setenv('PYTHONPATH', str(tmp_path))
    out = tmp_path / 'preds.jsonl'
    result = run_tool([
        'tools/test.py',
        str(config),
        str(checkpoint), '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out)
    ])
    log = result.stdout + result.stderr
    assert 'val/rec/Acc@0.5: 66.6667' in log
    assert 'testA/rec/Acc@0.5: 50.0000' in log
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(line['split'], line['correct'])
            for line in lines] == [('val', True), ('val', True),
                                   ('val', False), ('testA', True),
                                   ('testA', False)]

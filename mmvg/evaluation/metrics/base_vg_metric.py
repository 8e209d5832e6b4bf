# Copyright (c) mmvg contributors. All rights reserved.
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from mmvg.structures import record_text


class BaseVGMetric(BaseMetric):
    """Per-sample accumulation with optional breakdowns.

    Subclasses turn each sample into a small record (IoUs, pixel counts,
    TP/FP/FN: never whole masks) in :meth:`sample_record` and aggregate a
    list of records in :meth:`summarize`. Records live in ``self.results``
    one per sample, so mmengine's collection across ranks drops the
    distributed sampler's padding and every number is computed over the
    whole split, never as a mean of per-batch or per-rank means.

    Breakdowns summarize subsets of the records again and report them
    under ``<subset>/<name>``:

    - by expression length (words split on white space), with bucket
      upper bounds ``length_buckets=(3, 6)`` giving ``len_1-3``,
      ``len_4-6`` and ``len_7+``;
    - by number of targets (``targets_0``, ``targets_1``, ``targets_2+``).

    A quantity whose denominator is empty in a subset (e.g. N-acc in a
    split without no-target samples) is left out rather than reported as
    0 or NaN.

    Args:
        length_buckets (Sequence[int], optional): Increasing inclusive
            upper bounds of the length buckets. Defaults to None (off).
        by_num_targets (bool): Whether to break down by number of targets.
            Defaults to False.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to
            the class's ``default_prefix``.
    """

    def __init__(self,
                 length_buckets: Optional[Sequence[int]] = None,
                 by_num_targets: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if length_buckets is not None:
            length_buckets = [int(b) for b in length_buckets]
            if not length_buckets or any(
                    b <= a
                    for a, b in zip([0] + length_buckets, length_buckets)):
                raise ValueError('length_buckets must be increasing '
                                 f'positive bounds, got {length_buckets}')
        self.length_buckets = length_buckets
        self.by_num_targets = by_num_targets

    @abstractmethod
    def sample_record(self, data_sample: dict) -> dict:
        """The small record that one sample contributes."""

    @abstractmethod
    def summarize(self, records: List[dict]) -> Dict[str, float]:
        """The metrics of a list of records."""

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Append one record per sample to ``self.results``.

        Args:
            data_batch (dict, optional): The batch (unused).
            data_samples (Sequence[dict]): Samples with predictions.
        """
        for data_sample in data_samples:
            record = self.sample_record(data_sample)
            record['num_words'] = len(record_text(data_sample).split())
            self.results.append(record)

    def length_bucket(self, num_words: int) -> str:
        """The name of the length bucket of an expression."""
        low = 1
        for high in self.length_buckets:
            if num_words <= high:
                return f'len_{low}-{high}'
            low = high + 1
        return f'len_{low}+'

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Summarize all records, then each breakdown subset.

        Args:
            results (list[dict]): Records of the whole split.

        Returns:
            dict[str, float]: Metrics, in percent unless said otherwise.
        """
        if not results:
            raise ValueError(f'{type(self).__name__} got no sample: is the '
                             'test split empty?')
        metrics = self.summarize(results)
        # Insertion order keeps buckets in increasing order in the log.
        groups: Dict[str, List[dict]] = {}
        if self.length_buckets is not None:
            bounds = [0] + self.length_buckets
            for low, high in zip(bounds, bounds[1:]):
                groups[f'len_{low + 1}-{high}'] = []
            groups[f'len_{bounds[-1] + 1}+'] = []
            for record in results:
                name = self.length_bucket(record['num_words'])
                groups[name].append(record)
        if self.by_num_targets:
            for name in ('targets_0', 'targets_1', 'targets_2+'):
                groups[name] = []
            for record in results:
                count = record['num_targets']
                name = f'targets_{count}' if count < 2 else 'targets_2+'
                groups[name].append(record)
        for name, records in groups.items():
            if not records:
                continue
            for key, value in self.summarize(records).items():
                metrics[f'{name}/{key}'] = value
        return metrics

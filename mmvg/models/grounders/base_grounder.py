# Copyright (c) mmvg contributors. All rights reserved.
from abc import ABCMeta
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvg.registry import MODELS
from mmvg.structures import OptVGSampleList, VGSampleList
from ..utils import padding_mask

ForwardResults = Union[Dict[str, Tensor], VGSampleList, Tuple[Tensor, ...]]


class BaseGrounder(BaseModel, metaclass=ABCMeta):
    """The base class of grounders: image + expression -> box / mask.

    Like mmdet's ``SingleStageDetector`` it only composes. A model
    implements one hook, :meth:`extract_feat`, that turns the images and
    the samples' tokens into a dict of features; that fits two-tower
    (separate visual and text encoders, fused later), early-fusion (words
    inside the visual backbone), one-tower (one transformer over patches
    and words) and region-ranking models alike. The main ``head`` and
    the optional ``aux_heads`` read the entries they need from it (see
    :class:`~mmvg.models.heads.BaseVGHead`).

    - ``mode='loss'``: the main head's losses plus each auxiliary head's,
      prefixed ``<name>.``; mmengine sums every key holding ``loss``.
    - ``mode='predict'``: the main head's results (original image pixels
      unless ``rescale=False``), with the fields of predicting auxiliary
      heads merged in, as ``pred_instances``.
    - ``mode='tensor'``: the main head's raw outputs (a tuple).

    The tokenized expressions travel in the data samples
    (``data_sample.tokens``, filled by ``VGDataPreprocessor``), never in
    ``inputs``.

    Late-fusion models (the image is encoded without the expression) also
    split :meth:`extract_feat` into :meth:`extract_visual_feat` and
    :meth:`fuse_feat`; :meth:`predict_shared` then runs the visual pass
    once per image for several expressions about it. Early-fusion models
    (words inside the backbone) do not, and :meth:`predict_shared` runs
    one full pass per expression.

    Subclasses build their parts, then call :meth:`build_heads`, so that
    the heads come last in the state dict and in the initialisation order.

    Args:
        data_preprocessor (dict, optional): The data preprocessor config,
            usually ``VGDataPreprocessor``.
        init_cfg (dict, optional): The initialization config.
    """

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)

    def build_heads(self,
                    head: dict,
                    aux_heads: Optional[Dict[str, dict]] = None) -> None:
        """Build the main head and the named auxiliary heads.

        Args:
            head (dict): The main head.
            aux_heads (dict[str, dict], optional): Auxiliary heads by name;
                the name prefixes their losses.
        """
        self.head = MODELS.build(head)
        self.aux_heads = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in (aux_heads or {}).items()
        })

    def forward(self,
                inputs: Tensor,
                data_samples: OptVGSampleList = None,
                mode: str = 'tensor') -> ForwardResults:
        """Dispatch to :meth:`loss`, :meth:`predict` or :meth:`_forward`.

        Args:
            inputs (Tensor): (N, C, H, W) normalised, padded images.
            data_samples (list[VGDataSample], optional): The samples, with
                ``tokens`` and, for ``loss``, ``gt_instances``.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            A dict of losses, the data samples with ``pred_instances``, or
            the main head's raw outputs.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')

    def extract_feat(self, inputs: Tensor,
                     data_samples: VGSampleList) -> Dict[str, Tensor]:
        """The features the heads read, as a dict.

        Late-fusion models get :meth:`extract_visual_feat`, then
        :meth:`fuse_feat`; other models override this method.
        """
        return self.fuse_feat(
            self.extract_visual_feat(inputs, data_samples), data_samples)

    def extract_visual_feat(self, inputs: Tensor,
                            data_samples: VGSampleList) -> Dict[str, Tensor]:
        """The features of the images alone, for late-fusion models.

        Every tensor in the returned dict has the batch first, so that
        :meth:`predict_shared` can repeat an image's entries for each of
        its expressions; other values are shared by the whole batch.
        """
        raise NotImplementedError(
            f'{type(self).__name__} fuses the expression into the image '
            'encoding, so there is no visual pass to share')

    def fuse_feat(self, visual_feats: Dict[str, Tensor],
                  data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Encode the expressions and fuse them with
        :meth:`extract_visual_feat`'s output into what the heads read."""
        raise NotImplementedError(
            f'{type(self).__name__} has no separate fusion step')

    @property
    def shares_visual_feat(self) -> bool:
        """Whether several expressions about one image can share one
        visual pass (the model implements :meth:`extract_visual_feat`)."""
        return (type(self).extract_visual_feat
                is not BaseGrounder.extract_visual_feat)

    def heatmaps(self, feats: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Named (N, h, w) maps in [0, 1] over the padded input frame that
        show where the model looked, for the visualizer; none by default.
        """
        return {}

    def extract_text_feat(self,
                          data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Encode the batch's tokens with ``self.text_encoder``.

        Returns:
            dict[str, Tensor]: ``word_feats`` (N, L, C), ``word_mask``
            (N, L) bool, True on real tokens, and optional ``sent_feat``.
        """
        return self.text_encoder(self.stack_tokens(data_samples))

    def loss(self, inputs: Tensor,
             data_samples: VGSampleList) -> Dict[str, Tensor]:
        """The losses of every head."""
        feats = self.extract_feat(inputs, data_samples)
        losses = self.head.loss(feats, data_samples)
        for name, aux_head in self.aux_heads.items():
            for key, value in aux_head.loss(feats, data_samples).items():
                losses[f'{name}.{key}'] = value
        return losses

    def predict(self,
                inputs: Tensor,
                data_samples: VGSampleList,
                rescale: bool = True,
                with_heatmaps: bool = False) -> VGSampleList:
        """Predict, filling ``pred_instances`` (original image pixels
        unless ``rescale=False``) and, with ``with_heatmaps``,
        ``pred_heatmaps`` (see :meth:`heatmaps`)."""
        feats = self.extract_feat(inputs, data_samples)
        return self._predict_from_feats(feats, data_samples, rescale,
                                        with_heatmaps)

    def predict_shared(self,
                       inputs: Tensor,
                       data_samples: VGSampleList,
                       image_index: Sequence[int],
                       rescale: bool = True,
                       with_heatmaps: bool = False) -> VGSampleList:
        """Predict several expressions about fewer images.

        A model that :attr:`shares_visual_feat` encodes each image once
        and fuses it with each of its expressions; any other model runs
        the whole pass per expression. The results are those of
        :meth:`predict` on the images repeated per expression.

        Args:
            inputs (Tensor): (I, C, H, W) images, each once.
            data_samples (list[VGDataSample]): One sample per expression,
                with its image's metainfo.
            image_index (Sequence[int]): For each sample, the index of its
                image in ``inputs``; every image has at least one sample.
            rescale (bool): Predict in original image pixels.
            with_heatmaps (bool): Also fill ``pred_heatmaps``.

        Returns:
            list[VGDataSample]: The samples with ``pred_instances``.
        """
        if len(image_index) != len(data_samples):
            raise ValueError(f'{len(data_samples)} samples but '
                             f'{len(image_index)} image indices')
        index = torch.as_tensor(image_index, device=inputs.device)
        if not self.shares_visual_feat:
            feats = self.extract_feat(inputs[index], data_samples)
        else:
            first = [list(image_index).index(i) for i in range(inputs.size(0))]
            visual = self.extract_visual_feat(inputs,
                                              [data_samples[k] for k in first])
            visual = {
                key: value[index] if isinstance(value, Tensor) else value
                for key, value in visual.items()
            }
            feats = self.fuse_feat(visual, data_samples)
        return self._predict_from_feats(feats, data_samples, rescale,
                                        with_heatmaps)

    def _predict_from_feats(self, feats: Dict[str, Tensor],
                            data_samples: VGSampleList, rescale: bool,
                            with_heatmaps: bool) -> VGSampleList:
        results = self.head.predict(feats, data_samples, rescale=rescale)
        for name, aux_head in self.aux_heads.items():
            if aux_head.predicts:
                self._merge(
                    results,
                    aux_head.predict(feats, data_samples, rescale=rescale),
                    name)
        for sample, result in zip(data_samples, results):
            sample.pred_instances = result
        if with_heatmaps:
            maps = self.heatmaps(feats)
            for i, sample in enumerate(data_samples):
                sample.pred_heatmaps = {
                    name: value[i]
                    for name, value in maps.items()
                }
        return data_samples

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptVGSampleList = None) -> tuple:
        """The main head's raw outputs."""
        return self.head(self.extract_feat(inputs, data_samples))

    @staticmethod
    def _merge(results: List[InstanceData], extra: List[InstanceData],
               name: str) -> None:
        for result, more in zip(results, extra):
            for key in more.keys():
                if key in result:
                    raise KeyError(
                        f'The auxiliary head "{name}" predicts `{key}`, '
                        'which the main head already predicts')
                result.set_field(more.get(key), key)

    @staticmethod
    def stack_tokens(data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Stack the tokens of a batch into (N, L) tensors.

        The data preprocessor has tokenized and padded them to one length.

        Args:
            data_samples (list[VGDataSample]): The batch.

        Returns:
            dict[str, Tensor]: One (N, L) tensor per token key.
        """
        if not all('tokens' in sample for sample in data_samples):
            raise KeyError('Every data sample needs `tokens`: give the '
                           "model's VGDataPreprocessor a `tokenizer`.")
        keys = data_samples[0].tokens.keys()
        return {
            key: torch.stack([sample.tokens[key] for sample in data_samples])
            for key in keys
        }

    @staticmethod
    def stack_pixel_masks(inputs: Tensor,
                          data_samples: VGSampleList) -> Tensor:
        """The (N, H, W) bool mask of padded pixels, True on padding.

        Taken from ``pixel_mask`` (set by the data preprocessor) or, when
        absent, built from ``img_shape`` and ``pad_param``.

        Args:
            inputs (Tensor): (N, C, H, W) padded images.
            data_samples (list[VGDataSample]): The batch.

        Returns:
            Tensor: (N, H, W) bool mask.
        """
        return torch.stack([
            sample.pixel_mask if 'pixel_mask' in sample else padding_mask(
                sample.metainfo, inputs.shape[-2:], inputs.device)
            for sample in data_samples
        ])

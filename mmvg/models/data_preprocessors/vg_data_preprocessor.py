# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmdet.models.data_preprocessors import DetDataPreprocessor

from mmvg.registry import MODELS


@MODELS.register_module()
class VGDataPreprocessor(DetDataPreprocessor):
    """Batch the images and the tokenized expressions of grounding samples.

    On top of mmdet's :class:`DetDataPreprocessor` (normalise, convert
    BGR to RGB, pad the images into one tensor, record
    ``batch_input_shape``/``pad_shape``) it

    - pads every sample's ``tokens`` to the longest expression of the batch
      (or truncates them to ``max_token_length``) and moves them to the
      device, so that the grounder stacks them into (N, L) tensors
      (:meth:`BaseGrounder.stack_tokens`).
      The tokens stay in the data samples: DeepSpeed casts ``inputs`` to
      half precision, which would corrupt integer ids.
    - stores ``pixel_mask`` in each data sample: a bool (H, W) tensor over
      the padded batch, True on padding pixels (DETR's convention).

    Args:
        max_token_length (int, optional): Expressions with more tokens are
            truncated to this length. Defaults to None (no limit).
        token_pad_values (dict, optional): The padding value per token key.
            Keys not listed pad with 0 (BERT's ``[PAD]`` id, a masked-out
            attention position, segment 0). Defaults to None.
        **kwargs: The arguments of :class:`DetDataPreprocessor`.
    """

    def __init__(self,
                 max_token_length: Optional[int] = None,
                 token_pad_values: Optional[Dict[str, int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if max_token_length is not None and max_token_length < 1:
            raise ValueError('max_token_length must be positive, got '
                             f'{max_token_length}')
        self.max_token_length = max_token_length
        self.token_pad_values = token_pad_values or {}

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise and pad the images, pad the tokens, build pixel masks.

        Args:
            data (dict): ``inputs`` (list of uint8 (3, H, W) tensors) and
                ``data_samples`` from the dataloader.
            training (bool): Whether in training mode.

        Returns:
            dict: ``inputs`` (N, 3, H, W) float tensor and ``data_samples``.
        """
        data = super().forward(data, training)
        inputs, data_samples = data['inputs'], data['data_samples']
        if data_samples is not None:
            self._pad_tokens(data_samples, inputs.device)
            self._set_pixel_masks(data_samples, inputs)
        return data

    def _pad_tokens(self, data_samples: List, device: torch.device) -> None:
        if not all('tokens' in sample for sample in data_samples):
            return
        keys = data_samples[0].tokens.keys()
        length = max(
            len(sample.tokens['input_ids']) for sample in data_samples)
        if self.max_token_length is not None:
            length = min(length, self.max_token_length)
        for sample in data_samples:
            padded = {}
            for key in keys:
                value = torch.as_tensor(sample.tokens[key])[:length]
                pad = self.token_pad_values.get(key, 0)
                value = F.pad(value, (0, length - len(value)), value=pad)
                padded[key] = value.to(device)
            sample.tokens = padded

    @staticmethod
    def _set_pixel_masks(data_samples: List, inputs: torch.Tensor) -> None:
        pad_h, pad_w = inputs.shape[-2:]
        for sample in data_samples:
            img_h, img_w = sample.metainfo.get('img_shape', (pad_h, pad_w))
            mask = inputs.new_ones((pad_h, pad_w), dtype=torch.bool)
            mask[:img_h, :img_w] = False
            sample.pixel_mask = mask

# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmdet.models.data_preprocessors import DetDataPreprocessor

from mmvg.registry import MODELS, TASK_UTILS
from mmvg.utils.cpu_memory import retain_freed_cpu_memory
from ..utils import padding_mask


@MODELS.register_module()
class VGDataPreprocessor(DetDataPreprocessor):
    """Batch the images and tokenize the expressions of grounding samples.

    On top of mmdet's :class:`DetDataPreprocessor` (normalise, convert
    BGR to RGB, pad the images into one tensor, record
    ``batch_input_shape``/``pad_shape``) it

    - tokenizes every sample's ``text`` with the model's ``tokenizer`` (the
      tokenizer belongs to the model, so one dataset config serves every
      model; its ``max_length`` is the one place text is cut), pads the
      tokens to the longest expression of the batch and stores them in
      ``data_sample.tokens`` on the device, for the grounder to stack into
      (N, L) tensors (:meth:`BaseGrounder.stack_tokens`). The tokens stay
      in the data samples: DeepSpeed casts ``inputs`` to half precision,
      which would corrupt integer ids.
    - stores ``pixel_mask`` in each data sample: a bool (H, W) tensor over
      the padded batch, True on padding pixels (DETR's convention), around
      the image window of ``img_shape`` and ``pad_param`` (``LetterBox``
      pads on every side). It is built after mmdet's ``batch_augments``
      (e.g. :class:`BatchMultiScaleResize`, training only), so it follows
      the resized batch.

    Args:
        tokenizer (dict, optional): A tokenizer in ``TASK_UTILS``, e.g.
            ``dict(type='HFTokenizer', name_or_path='data/bert-base-uncased',
            max_length=40)``. Without it the samples must already hold
            ``tokens``. Defaults to None.
        token_pad_values (dict, optional): The padding value per token key.
            Keys not listed pad with 0 (BERT's ``[PAD]`` id, a masked-out
            attention position, segment 0). Defaults to None.
        retain_cpu_memory (bool): On the first batch on the CPU, let the
            process's malloc keep freed memory for reuse
            (:func:`~mmvg.utils.cpu_memory.retain_freed_cpu_memory`), so
            that a step does not page-fault in the activations of the last
            one again. Process-wide. It can raise the peak resident memory
            through heap fragmentation, so models opt in: VLTVG-R50 at
            640x640 gains 1.4x per test step at the same peak; LAVT Swin-B
            at 480x480 would peak 342 MiB higher. Defaults to False.
        **kwargs: The arguments of :class:`DetDataPreprocessor`.
    """

    def __init__(self,
                 tokenizer: Optional[dict] = None,
                 token_pad_values: Optional[Dict[str, int]] = None,
                 retain_cpu_memory: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.tokenizer = TASK_UTILS.build(tokenizer) if tokenizer else None
        self.token_pad_values = token_pad_values or {}
        self.retain_cpu_memory = retain_cpu_memory

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise and pad the images, tokenize, build pixel masks.

        Args:
            data (dict): ``inputs`` (list of uint8 (3, H, W) tensors) and
                ``data_samples`` from the dataloader.
            training (bool): Whether in training mode.

        Returns:
            dict: ``inputs`` (N, 3, H, W) float tensor and ``data_samples``.
        """
        data = super().forward(data, training)
        inputs, data_samples = data['inputs'], data['data_samples']
        if self.retain_cpu_memory and inputs.device.type == 'cpu':
            retain_freed_cpu_memory()
        if data_samples is not None:
            if self.tokenizer is not None:
                for sample in data_samples:
                    sample.tokens = self.tokenizer(sample.text)
            self._pad_tokens(data_samples, inputs.device)
            self._set_pixel_masks(data_samples, inputs)
        return data

    def _pad_tokens(self, data_samples: List, device: torch.device) -> None:
        if not all('tokens' in sample for sample in data_samples):
            return
        keys = data_samples[0].tokens.keys()
        length = max(
            len(sample.tokens['input_ids']) for sample in data_samples)
        for sample in data_samples:
            padded = {}
            for key in keys:
                value = torch.as_tensor(sample.tokens[key])
                pad = self.token_pad_values.get(key, 0)
                value = F.pad(value, (0, length - len(value)), value=pad)
                padded[key] = value.to(device)
            sample.tokens = padded

    @staticmethod
    def _set_pixel_masks(data_samples: List, inputs: torch.Tensor) -> None:
        for sample in data_samples:
            sample.pixel_mask = padding_mask(sample.metainfo,
                                             inputs.shape[-2:], inputs.device)

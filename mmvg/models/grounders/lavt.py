# Copyright (c) mmvg contributors. All rights reserved.
"""LAVT: Language-Aware Vision Transformer for referring segmentation.

Reference: Yang et al., CVPR 2022. BERT encodes the expression; a Swin
Transformer with a pixel-word attention module and a language gate in each
stage fuses the words into the visual features early; a simple top-down
decoder predicts the mask of the referred object.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmvg.registry import MODELS
from mmvg.structures import OptVGSampleList, VGSampleList
from .base_grounder import BaseGrounder


def _record_name(sample) -> str:
    meta = sample.metainfo
    return (f'image "{meta.get("img_path")}", ref_id {meta.get("ref_id")}, '
            f'sent_id {meta.get("sent_id")}, text "{meta.get("text")}"')


@MODELS.register_module()
class LAVT(BaseGrounder):
    """LAVT with its text encoder (BERT) beside the fused model.

    The official ``lavt`` keeps BERT as a separate module (with its own DDP
    wrapper and its own ``bert_model`` entry in the checkpoint); here it is
    the ``text_encoder`` attribute and runs before the backbone. See
    :class:`LAVTOne` for the official ``lavt_one`` layout.

    Args:
        backbone (dict): The language-aware Swin
            (``LAVTSwinTransformer``).
        text_encoder (dict): The BERT encoder (``BertTextEncoder``, without
            pooler, ``max_length=20`` as in LAVT: longer expressions are
            truncated).
        decode_head (dict): The mask decoder (``LAVTMaskHead``).
        data_preprocessor (dict, optional): Usually ``VGDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 decode_head: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.text_encoder = MODELS.build(text_encoder)
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head)

    def extract_text_feat(self,
                          data_samples: VGSampleList) -> Tuple[Tensor, Tensor]:
        """Encode the expressions.

        Args:
            data_samples (list[VGDataSample]): Samples with ``tokens``.

        Returns:
            tuple[Tensor, Tensor]: Word features (B, L, C) and the word mask
            (B, L), 1 for real tokens; both truncated to the encoder's
            ``max_length``.
        """
        tokens = self.stack_tokens(data_samples)
        feats = self.text_encoder(tokens['input_ids'],
                                  tokens['attention_mask'])
        return feats, tokens['attention_mask'][:, :feats.shape[1]]

    def extract_visual_feat(self, inputs: Tensor,
                            data_samples: VGSampleList) -> List[Tensor]:
        """Language-aware multi-scale visual features (B, C_i, H_i, W_i)."""
        lang, lang_mask = self.extract_text_feat(data_samples)
        return self.backbone(inputs, lang, lang_mask)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptVGSampleList = None) -> Tensor:
        """Mask logits (B, 2, H, W) at the padded input size."""
        feats = self.extract_visual_feat(inputs, data_samples)
        return self.decode_head(feats, inputs.shape[-2:])

    def loss(self, inputs: Tensor,
             data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Compute the mask losses of a batch.

        Args:
            inputs (Tensor): (B, 3, H, W) images.
            data_samples (list[VGDataSample]): Samples with
                ``gt_instances.masks`` (the union of the targets is used).

        Returns:
            dict[str, Tensor]: The losses.

        Raises:
            ValueError: If a sample has no ground-truth mask.
        """
        gt_masks = self._stack_gt_masks(data_samples, inputs)
        logits = self._forward(inputs, data_samples)
        return self.decode_head.loss_by_feat(logits, gt_masks)

    def predict(self, inputs: Tensor,
                data_samples: VGSampleList) -> VGSampleList:
        """Predict one mask per sample.

        ``pred_instances`` holds ``masks`` (1, H_ori, W_ori) and ``bboxes``
        in original image coordinates, ``input_masks`` (1, h, w) in the
        network-input frame (LAVT's 480x480 protocol) and ``scores``.
        """
        logits = self._forward(inputs, data_samples)
        results = self.decode_head.predict_by_feat(logits, data_samples)
        return self.add_pred_to_datasample(data_samples, results)

    @staticmethod
    def _stack_gt_masks(data_samples: VGSampleList, inputs: Tensor) -> Tensor:
        pad_h, pad_w = inputs.shape[-2:]
        masks = []
        for sample in data_samples:
            gt = sample.get('gt_instances')
            if gt is None or 'masks' not in gt:
                raise ValueError(
                    'LAVT trains on masks, but the sample of '
                    f'{_record_name(sample)} has no gt_instances.masks; '
                    'load masks (with_mask=True) for referring segmentation')
            gt_masks = gt.masks
            if not isinstance(gt_masks, Tensor):
                gt_masks = gt_masks.to_tensor(torch.bool, inputs.device)
            if len(gt_masks) == 0:
                raise ValueError(f'The sample of {_record_name(sample)} has '
                                 'an empty gt_instances.masks')
            union = gt_masks.bool().any(dim=0)
            h, w = union.shape
            masks.append(F.pad(union, (0, pad_w - w, 0, pad_h - h)))
        return torch.stack(masks).to(inputs.device)


@MODELS.register_module()
class LAVTOne(LAVT):
    """LAVT with BERT inside the fused model (the official ``lavt_one``).

    The official ``lavt_one`` moved BERT into the segmentation model so that
    one DDP wrapper covers everything. An mmvg grounder is always a single
    module under a single wrapper, so ``LAVT`` and ``LAVTOne`` compute the
    same function and share their keys; the two names keep the official
    model names in configs and results, and the converter reads both
    official checkpoint layouts.
    """

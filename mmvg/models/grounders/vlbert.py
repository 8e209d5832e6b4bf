# Copyright (c) mmvg contributors. All rights reserved.
"""VL-BERT for referring expressions: rank region proposals.

Reference: Su et al., "VL-BERT: Pre-training of Generic Visual-Linguistic
Representations", ICLR 2020. A Caffe-style ResNet-101 C4 encodes the
image (stride 16); RoIAlign cuts 14x14 features of every proposal, the
dilated C5 stage and an average pool give 2048 channels, a sine embedding
of the box geometry is put before them, and a linear layer projects both
to the BERT width. The visual-linguistic BERT reads the words (each
carrying the whole image's feature) and the regions, and the head scores
every region.
"""
from typing import Dict, List, Optional

import torch
from mmcv.ops import RoIAlign
from mmdet.models.backbones.resnet import BasicBlock, Bottleneck
from mmdet.models.layers import ResLayer
from mmdet.structures.bbox import bbox2roi
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmvg.models.layers import VisualLinguisticBert
from mmvg.registry import MODELS
from mmvg.structures import VGSampleList, record_name
from ..utils import image_window
from .base_grounder import BaseGrounder


def box_sine_embedding(boxes: Tensor, img_wh: Tensor,
                       num_feats: int) -> Tensor:
    """VL-BERT's sine embedding of box geometry.

    The centre, width and height relative to the image, times 100, each
    pass through sines then cosines of wavelengths ``1000 ** (i /
    num_feats)``.

    Args:
        boxes (Tensor): (K, 4) xyxy boxes.
        img_wh (Tensor): (K, 2) width and height of each box's image.
        num_feats (int): Frequencies per coordinate.

    Returns:
        Tensor: (K, 8 * num_feats), ordered (cx, cy, w, h) x (sin, cos) x
        frequency.
    """
    x1, y1, x2, y2 = boxes.unbind(-1)
    img_w, img_h = img_wh.unbind(-1)
    geometry = torch.stack([(x1 + x2) / 2 / img_w, (y1 + y2) / 2 / img_h,
                            (x2 - x1) / img_w, (y2 - y1) / img_h], -1) * 100
    wavelengths = 1000**(
        torch.arange(num_feats, device=boxes.device, dtype=boxes.dtype) /
        num_feats)
    phase = geometry[..., None] / wavelengths
    return torch.cat([phase.sin(), phase.cos()], -1).flatten(1)


@MODELS.register_module()
class VLBERT(BaseGrounder):
    """VL-BERT with the official module layout.

    Attribute names follow the official ``ResNetVLBERT``
    (``image_feature_extractor.backbone`` -> ``backbone``,
    ``image_feature_extractor.roi_head_feature_extractor`` -> ``roi_head``,
    ``image_feature_extractor.obj_downsample`` -> ``obj_downsample``,
    ``final_mlp`` -> ``head.final_mlp``); the layers below keep their
    names, so tools/model_converters/vlbert_to_mmvg.py renames prefixes
    only.

    Every sample needs ``proposals`` (``LoadVGProposals``) in input pixels
    with the whole-image box first: its feature is added to every word.
    The words are the tokenizer's ``input_ids`` with ``[CLS]`` and
    ``[SEP]``; the visual-linguistic BERT embeds them itself, so the model
    has no separate text encoder.

    Args:
        backbone (dict): The image backbone, mmdet's ``ResNet`` cut after
            its third stage (stride 16).
        roi_head (dict): The C5 stage that runs on every RoI: ``depth``
            (picks the block), ``in_channels``, ``planes``,
            ``num_blocks``, ``dilation``, ``style``, ``norm_cfg``, and
            ``norm_eval`` (BatchNorm in eval mode while training).
        vlbert (dict): :class:`VisualLinguisticBert` arguments.
        head (dict): The ranking head (``RegionRankHead``).
        roi_size (int): RoIAlign output size. Defaults to 14.
        feat_stride (int): The backbone's stride. Defaults to 16.
        coord_feats (int): Frequencies of the box embedding per coordinate
            (it has ``8 * coord_feats`` channels). Defaults to 256.
        region_dropout (float): Dropout before the region projection.
            Defaults to 0.1.
        aux_heads (dict[str, dict], optional): Auxiliary heads by name.
        data_preprocessor (dict, optional): Usually ``VGDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 roi_head: dict,
                 vlbert: dict,
                 head: dict,
                 roi_size: int = 14,
                 feat_stride: int = 16,
                 coord_feats: int = 256,
                 region_dropout: float = 0.1,
                 aux_heads: Optional[Dict[str, dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        roi_head = dict(roi_head)
        self.roi_norm_eval = roi_head.pop('norm_eval', True)
        self.roi_head = build_c5_stage(**roi_head)
        # The legacy RoIAlign of maskrcnn-benchmark: one sample per bin,
        # no half-pixel shift.
        self.roi_align = RoIAlign(
            roi_size, 1 / feat_stride, sampling_ratio=1, aligned=False)
        self.coord_feats = coord_feats
        roi_channels = roi_head['planes'] * self._block(
            roi_head['depth']).expansion
        vlbert = VisualLinguisticBert(**vlbert)
        hidden = vlbert.hidden_size
        # Registered in the official order, so that the state dicts list
        # the same tensors in the same order.
        self.obj_downsample = nn.Sequential(
            nn.Dropout(region_dropout),
            nn.Linear(8 * coord_feats + roi_channels, hidden),
            nn.ReLU(inplace=True))
        self.object_linguistic_embeddings = nn.Embedding(1, hidden)
        nn.init.normal_(self.object_linguistic_embeddings.weight, std=0.02)
        self.vlbert = vlbert
        self.build_heads(head, aux_heads)

    @staticmethod
    def _block(depth: int) -> type:
        return BasicBlock if depth in (18, 34) else Bottleneck

    def train(self, mode: bool = True) -> 'VLBERT':
        """Keep the RoI head's BatchNorm in eval mode, as the backbone's
        ``norm_eval`` does."""
        super().train(mode)
        if mode and self.roi_norm_eval:
            for module in self.roi_head.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def extract_feat(self, inputs: Tensor,
                     data_samples: VGSampleList) -> Dict[str, Tensor]:
        """Region features, then the visual-linguistic BERT.

        Returns:
            dict: ``region_feats`` (B, N, C) the encoded regions,
            ``region_boxes`` (B, N, 4) their boxes in input pixels,
            ``region_mask`` (B, N) bool, True on regions,
            ``region_visual_feats`` (B, N, C) the regions' features before
            the BERT, ``roi_feats`` (B, N, C') their pooled RoI features
            (appearance alone, before the box embedding), and
            ``word_feats`` (B, T, C) the encoded words.
        """
        boxes = self._proposals(data_samples)
        rois = bbox2roi(boxes)
        feat = self.backbone(inputs)[-1]
        roi_feats = self.roi_align(feat.float(), rois).to(feat.dtype)
        roi_feats = self.roi_head(roi_feats).mean(dim=(2, 3))
        img_wh = torch.stack([
            rois.new_tensor(sample.img_shape[1::-1]) for sample in data_samples
        ])[rois[:, 0].long()]
        coords = box_sine_embedding(rois[:, 1:], img_wh, self.coord_feats)
        regions = self.obj_downsample(
            torch.cat([coords.to(roi_feats.dtype), roi_feats], dim=1))

        counts = [len(b) for b in boxes]
        region_mask = torch.arange(
            max(counts), device=inputs.device)[None] < torch.tensor(
                counts, device=inputs.device)[:, None]
        region_visual = regions.new_zeros(*region_mask.shape, regions.size(1))
        region_visual[region_mask] = regions
        roi_appearance = roi_feats.new_zeros(*region_mask.shape,
                                             roi_feats.size(1))
        roi_appearance[region_mask] = roi_feats
        region_boxes = rois.new_zeros(*region_mask.shape, 4)
        region_boxes[region_mask] = rois[:, 1:]

        tokens = self.stack_tokens(data_samples)
        word_feats, region_feats = self.vlbert(
            tokens['input_ids'], tokens['attention_mask'].bool(),
            region_visual[:, 0], region_visual,
            self.object_linguistic_embeddings.weight[0], region_mask)
        return dict(
            region_feats=region_feats,
            region_visual_feats=region_visual,
            roi_feats=roi_appearance,
            region_boxes=region_boxes,
            region_mask=region_mask,
            word_feats=word_feats)

    @staticmethod
    def _proposals(data_samples: VGSampleList) -> List[Tensor]:
        """Each sample's proposals, the whole-image box first."""
        boxes = []
        for sample in data_samples:
            if 'proposals' not in sample:
                raise KeyError(
                    'VLBERT ranks region proposals, but the sample of '
                    f'{record_name(sample.metainfo)} has none: give the '
                    'dataset a proposal_file and put LoadVGProposals in '
                    'the pipeline')
            bboxes = sample.proposals.bboxes
            top, left, img_h, img_w = image_window(sample.metainfo)
            window = bboxes.new_tensor([left, top, left + img_w, top + img_h])
            first = bboxes[0].tolist() if len(bboxes) else None
            if first is None or (bboxes[0] - window).abs().max() > 1:
                raise ValueError(
                    'VLBERT reads the whole image from the first proposal, '
                    f'but the first proposal of {record_name(sample.metainfo)}'
                    f' is {first} in a {img_w}x{img_h} image: use '
                    'LoadVGProposals(whole_image_box=True)')
            boxes.append(bboxes.float())
        return boxes


def build_c5_stage(depth: int,
                   in_channels: int,
                   planes: int,
                   num_blocks: int,
                   dilation: int = 2,
                   style: str = 'caffe',
                   norm_cfg: dict = dict(type='BN', requires_grad=False),
                   stride: int = 1) -> ResLayer:
    """ResNet's last stage as a stand-alone layer, VL-BERT's RoI head.

    An ``nn.Sequential`` of blocks, so the keys are ``<i>.conv1.weight``
    as in the official ``roi_head_feature_extractor``.
    """
    return ResLayer(
        VLBERT._block(depth),
        inplanes=in_channels,
        planes=planes,
        num_blocks=num_blocks,
        stride=stride,
        dilation=dilation,
        style=style,
        norm_cfg=norm_cfg)

# Copyright (c) mmvg contributors. All rights reserved.
"""A tiny VLTVG and its inputs, shared by the model tests."""
import torch
from mmengine.structures import InstanceData

from mmvg.structures import VGDataSample

TINY_BERT = dict(
    vocab_size=100,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=16)
DIMS = 32


def tiny_vltvg_cfg(mask_padding: bool = False) -> dict:
    return dict(
        type='VLTVG',
        data_preprocessor=dict(
            type='VGDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_size_divisor=32),
        backbone=dict(
            type='ResNet',
            depth=18,
            base_channels=8,
            num_stages=4,
            out_indices=(3, ),
            frozen_stages=1,
            norm_cfg=dict(type='FrozenBN'),
            norm_eval=True,
            style='pytorch'),
        backbone_channels=64,
        embed_dims=DIMS,
        positional_encoding=dict(num_feats=DIMS // 2, normalize=True),
        visual_encoder=dict(
            num_layers=1,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=DIMS,
                    num_heads=2,
                    dropout=0.1,
                    batch_first=True),
                ffn_cfg=dict(
                    embed_dims=DIMS, feedforward_channels=64, ffn_drop=0.1))),
        text_encoder=dict(
            type='BertTextEncoder', config=TINY_BERT, num_output_layers=2),
        verification=dict(embed_dims=DIMS, num_heads=2),
        context_encoder=dict(embed_dims=DIMS, num_heads=2, max_offset=4),
        decoder=dict(
            num_layers=2,
            layer_cfg=dict(
                embed_dims=DIMS, num_heads=2, feedforward_channels=64)),
        bbox_head=dict(type='VLTVGHead', embed_dims=DIMS),
        mask_padding=mask_padding)


def tiny_batch(sizes=((64, 48), (40, 64)), num_tokens=(5, 8)) -> dict:
    """Images (h, w) with one box each and random token ids."""
    inputs, samples = [], []
    for (h, w), length in zip(sizes, num_tokens):
        inputs.append(torch.randint(0, 255, (3, h, w), dtype=torch.uint8))
        sample = VGDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(2 * h, 2 * w),
                scale_factor=(0.5, 0.5),
                flip=False,
                img_path='synthetic.jpg',
                sent_id=0))
        sample.tokens = dict(
            input_ids=torch.randint(1, 100, (length, )),
            attention_mask=torch.ones(length, dtype=torch.long))
        gt = InstanceData()
        gt.bboxes = torch.tensor([[4., 6., w / 2, h / 2]])
        gt.labels = torch.zeros(1, dtype=torch.long)
        sample.gt_instances = gt
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)

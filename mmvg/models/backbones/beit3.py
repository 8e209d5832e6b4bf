# Copyright (c) mmvg contributors. All rights reserved.
"""BEiT-3, the multiway transformer that ALVG and SimVG use as one tower.

Image patches and words share one self-attention per layer; every other
weight (projections, norms, feed-forward, position tables) exists twice,
expert ``A`` for the vision tokens (class token and patches) and expert
``B`` for the text tokens. The module names follow torchscale's ``BEiT3``,
so a state dict converts by prefix alone.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.drop import DropPath
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, trunc_normal_init
from mmengine.runner.checkpoint import CheckpointLoader

from mmvg.registry import MODELS

#: (embed_dims, num_layers, num_heads, ffn_dims) of the released sizes.
ARCH_SETTINGS = {
    'base': (768, 12, 12, 3072),
    'large': (1024, 24, 16, 4096),
}
#: fairseq's position tables start at row 2 (rows 0 and 1 are unused).
POSITION_OFFSET = 2
#: Keys under ``beit3.`` that are not the encoder's: torchscale's masked
#: language modelling output layer, absent when ``no_output_layer``.
NON_ENCODER_KEYS = ('encoder.output_projection.', )


def _width_name(width: int) -> str:
    names = {dims: arch for arch, (dims, *_) in ARCH_SETTINGS.items()}
    return f'{width} ({names[width]})' if width in names else str(width)


def resize_vision_embeddings(state_dict: Dict[str, torch.Tensor],
                             img_size: int, patch_size: int) -> OrderedDict:
    """Fit the patch kernel and the vision position table to a new grid.

    The patch kernel is resized bicubically without rescaling its values
    and the patch rows of ``encoder.embed_positions.A.weight`` are
    interpolated bicubically on their square grid; the first three rows
    (two unused fairseq rows and the class token's) are kept, as BEiT-3's
    fine-tuning code does. Tensors that already fit are left alone.

    Args:
        state_dict (dict): Encoder keys (without ``beit3.``).
        img_size (int): The target image size.
        patch_size (int): The target patch size.

    Returns:
        OrderedDict: The state dict with the two tensors resized.
    """
    state_dict = OrderedDict(state_dict)
    kernel_key = 'vision_embed.proj.weight'
    kernel = state_dict.get(kernel_key)
    if kernel is not None and kernel.shape[-1] != patch_size:
        state_dict[kernel_key] = F.interpolate(
            kernel.float(),
            size=(patch_size, patch_size),
            mode='bicubic',
            align_corners=False).to(kernel.dtype)
    table_key = 'encoder.embed_positions.A.weight'
    table = state_dict.get(table_key)
    extra = POSITION_OFFSET + 1
    new_grid = img_size // patch_size
    if table is not None and table.shape[0] != extra + new_grid**2:
        old_grid = int(round((table.shape[0] - extra)**0.5))
        if old_grid**2 != table.shape[0] - extra:
            raise ValueError(f'{table_key} has {table.shape[0]} rows, which '
                             'is not 3 + a square number of patches')
        grid = table[extra:].float().reshape(1, old_grid, old_grid, -1)
        grid = F.interpolate(
            grid.permute(0, 3, 1, 2),
            size=(new_grid, new_grid),
            mode='bicubic',
            align_corners=False)
        grid = grid.permute(0, 2, 3, 1).reshape(new_grid**2, -1)
        state_dict[table_key] = torch.cat(
            [table[:extra], grid.to(table.dtype)])
    return state_dict


def convert_beit3_release(
        state_dict: Dict[str, torch.Tensor],
        img_size: int = 640,
        patch_size: int = 32,
        source: str = 'checkpoint') -> Tuple[OrderedDict, List[str]]:
    """A BEiT-3 release state dict as this encoder's, resized.

    The release files (``{'model': ...}``) hold the encoder under
    ``beit3.`` and, for the fine-tuned ones, task heads next to it
    (``language_head``, ``vision_head``, ``logit_scale`` for retrieval,
    ``pooler``/``head`` for VQA, ...); those are left out and returned.

    Args:
        state_dict (dict): The release checkpoint's ``model``.
        img_size (int): Image size of the target encoder.
        patch_size (int): Patch size of the target encoder.
        source (str): What the state dict is, for error messages.

    Returns:
        tuple: The encoder's state dict and the keys left out.

    Raises:
        KeyError: When no key starts with ``beit3.``.
    """
    converted, dropped = OrderedDict(), []
    for key, value in state_dict.items():
        if key.startswith('module.'):
            key = key[len('module.'):]
        name = key[len('beit3.'):]
        if not key.startswith('beit3.') or name.startswith(NON_ENCODER_KEYS):
            dropped.append(key)
        else:
            converted[name] = value
    if not converted:
        raise KeyError(f'{source}: no "beit3." keys; not a BEiT-3 release '
                       'checkpoint (its "model" holds "beit3.text_embed.'
                       'weight", "beit3.encoder.layers.0...", ...)')
    return resize_vision_embeddings(converted, img_size, patch_size), dropped


class Multiway(nn.Module):
    """Two experts of one layer: ``A`` for the first ``split`` tokens
    (vision), ``B`` for the rest (text)."""

    def __init__(self, module_a: nn.Module, module_b: nn.Module) -> None:
        super().__init__()
        self.A = module_a
        self.B = module_b

    def forward(self, x: torch.Tensor, split: int) -> torch.Tensor:
        return torch.cat([self.A(x[:, :split]), self.B(x[:, split:])], dim=1)


def _multiway_linear(in_dims: int, out_dims: int) -> Multiway:
    return Multiway(nn.Linear(in_dims, out_dims), nn.Linear(in_dims, out_dims))


def _multiway_norm(dims: int) -> Multiway:
    return Multiway(nn.LayerNorm(dims, eps=1e-5), nn.LayerNorm(dims, eps=1e-5))


class MultiwayAttention(nn.Module):
    """Self-attention shared by both modalities, with per-expert
    projections and a LayerNorm before the output projection (sub-LN).

    Args:
        embed_dims (int): Channels.
        num_heads (int): Attention heads.
    """

    def __init__(self, embed_dims: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = (embed_dims // num_heads)**-0.5
        self.k_proj = _multiway_linear(embed_dims, embed_dims)
        self.v_proj = _multiway_linear(embed_dims, embed_dims)
        self.q_proj = _multiway_linear(embed_dims, embed_dims)
        self.out_proj = _multiway_linear(embed_dims, embed_dims)
        self.inner_attn_ln = _multiway_norm(embed_dims)

    def forward(self, x: torch.Tensor, split: int,
                key_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """Attend over all tokens.

        Args:
            x (Tensor): Tokens (N, S, C), vision first.
            split (int): Number of vision tokens.
            key_mask (Tensor, optional): (N, 1, 1, S) bool, True where a
                key may be attended to.

        Returns:
            Tensor: (N, S, C).
        """
        n, length, dims = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(n, length, self.num_heads, -1).transpose(1, 2)

        # torchscale's order (q scaled before the product, softmax in
        # float32): fused attention rounds differently, and the error
        # grows with depth.
        q = heads(self.q_proj(x, split)) * self.scale
        k = heads(self.k_proj(x, split))
        v = heads(self.v_proj(x, split))
        weights = q @ k.transpose(-2, -1)
        if key_mask is not None:
            weights = weights.masked_fill(~key_mask, float('-inf'))
        weights = weights.softmax(dim=-1, dtype=torch.float32).type_as(v)
        out = (weights @ v).transpose(1, 2).reshape(n, length, dims)
        return self.out_proj(self.inner_attn_ln(out, split), split)


class FeedForward(nn.Module):
    """fc1, GELU, a LayerNorm on the hidden channels (sub-LN), fc2."""

    def __init__(self, embed_dims: int, ffn_dims: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, ffn_dims)
        self.fc2 = nn.Linear(ffn_dims, embed_dims)
        self.ffn_layernorm = nn.LayerNorm(ffn_dims, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # On the flattened tokens (one matrix product per expert, as
        # torchscale) and GELU in float32 as there, so that rounding
        # matches.
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        hidden = F.gelu(self.fc1(x).float()).type_as(x)
        return self.fc2(self.ffn_layernorm(hidden)).view(shape)


class BEiT3Layer(nn.Module):
    """One pre-norm multiway transformer layer.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Attention heads.
        ffn_dims (int): Hidden channels of the feed-forward network.
        drop_path_rate (float): Stochastic depth of both branches.
    """

    def __init__(self, embed_dims: int, num_heads: int, ffn_dims: int,
                 drop_path_rate: float) -> None:
        super().__init__()
        self.self_attn = MultiwayAttention(embed_dims, num_heads)
        self.self_attn_layer_norm = _multiway_norm(embed_dims)
        self.ffn = Multiway(
            FeedForward(embed_dims, ffn_dims),
            FeedForward(embed_dims, ffn_dims))
        self.final_layer_norm = _multiway_norm(embed_dims)
        self.drop_path = (
            DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity())

    def forward(self, x: torch.Tensor, split: int,
                key_mask: Optional[torch.Tensor]) -> torch.Tensor:
        attn = self.self_attn(
            self.self_attn_layer_norm(x, split), split, key_mask)
        x = x + self.drop_path(attn)
        ffn = self.ffn(self.final_layer_norm(x, split), split)
        return x + self.drop_path(ffn)


class BEiT3Encoder(nn.Module):
    """Position tables, the layers and the final multiway LayerNorm."""

    def __init__(self, embed_dims: int, num_layers: int, num_heads: int,
                 ffn_dims: int, num_vision_positions: int,
                 max_text_positions: int, drop_path_rate: float) -> None:
        super().__init__()
        self.embed_positions = Multiway(
            nn.Embedding(num_vision_positions + POSITION_OFFSET, embed_dims),
            nn.Embedding(max_text_positions, embed_dims))
        # torchscale's rates: np.linspace(0, drop_path_rate, num_layers)
        rates = [
            drop_path_rate * i / max(num_layers - 1, 1)
            for i in range(num_layers)
        ]
        self.layers = nn.ModuleList(
            BEiT3Layer(embed_dims, num_heads, ffn_dims, rate)
            for rate in rates)
        self.layer_norm = _multiway_norm(embed_dims)

    def forward(self, x: torch.Tensor, split: int,
                padding_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """Encode (N, S, C) tokens, the first ``split`` of them vision.

        ``padding_mask`` (N, S) is True on padding; those tokens are
        zeroed after the positions are added and never attended to.
        """
        num_text = x.size(1) - split
        text_table = self.embed_positions.B.weight
        if num_text + POSITION_OFFSET > text_table.size(0):
            raise ValueError(
                f'{num_text} text tokens exceed the text position table '
                f'({text_table.size(0)} rows, {POSITION_OFFSET} unused)')
        start = POSITION_OFFSET
        positions = torch.cat([
            self.embed_positions.A.weight[start:start + split],
            text_table[start:start + num_text]
        ])
        x = x + positions
        key_mask = None
        if padding_mask is not None:
            x = x * (~padding_mask).unsqueeze(-1).type_as(x)
            key_mask = (~padding_mask)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, split, key_mask)
        return self.layer_norm(x, split)


class VisionEmbedding(nn.Module):
    """Patch projection with a class token (and BEiT's unused mask
    token, kept so that checkpoints load strictly)."""

    def __init__(self, embed_dims: int, patch_size: int) -> None:
        super().__init__()
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.proj = nn.Conv2d(
            3, embed_dims, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        patches = self.proj(images).flatten(2).transpose(1, 2)
        cls_token = self.cls_token.expand(patches.size(0), -1, -1)
        return torch.cat([cls_token, patches], dim=1)


@MODELS.register_module()
class BEiT3(BaseModule):
    """The BEiT-3 encoder over one image and one sentence.

    The vision tokens (class token, then the patches in raster order) come
    first, the words after them; the output is split back into the class
    token, the patch map and the words, as ALVG does.

    Args:
        arch (str): ``'base'`` (ViT-B: 12 layers, 768 channels, 12 heads,
            FFN 3072) or ``'large'`` (24, 1024, 16, 4096). The four
            arguments below override it.
        embed_dims (int, optional): Channels.
        num_layers (int, optional): Layers.
        num_heads (int, optional): Attention heads.
        ffn_dims (int, optional): Hidden channels of the feed-forward
            networks.
        img_size (int): Side of the square input images. Defaults to 640.
        patch_size (int): Side of the patches. Defaults to 32.
        vocab_size (int): Text vocabulary (BEiT-3's sentencepiece model
            has 64010 entries). Defaults to 64010.
        max_text_positions (int): Rows of the text position table, two
            of them unused (fairseq's offset). Defaults to 1024.
        drop_path_rate (float): Stochastic depth of the last layer,
            rising linearly from 0 at the first. Defaults to 0.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=PATH)`` loads a BEiT-3 release checkpoint
            (``{'model': {'beit3.*': ...}}``, any image or patch size:
            the patch kernel and the vision positions are resized) or an
            mmvg one (keys under ``prefix``, default ``'backbone.'``, see
            ``tools/model_converters/beit3_to_mmvg.py``), strictly.
    """

    def __init__(self,
                 arch: str = 'base',
                 embed_dims: Optional[int] = None,
                 num_layers: Optional[int] = None,
                 num_heads: Optional[int] = None,
                 ffn_dims: Optional[int] = None,
                 img_size: int = 640,
                 patch_size: int = 32,
                 vocab_size: int = 64010,
                 max_text_positions: int = 1024,
                 drop_path_rate: float = 0.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if arch not in ARCH_SETTINGS:
            raise ValueError(f'arch must be one of {sorted(ARCH_SETTINGS)}, '
                             f'not {arch!r}')
        defaults = ARCH_SETTINGS[arch]
        given = (embed_dims, num_layers, num_heads, ffn_dims)
        self.embed_dims, self.num_layers, num_heads, ffn_dims = (
            value if value is not None else default
            for value, default in zip(given, defaults))
        if img_size % patch_size:
            raise ValueError(f'img_size {img_size} is not a multiple of '
                             f'patch_size {patch_size}')
        self.img_size = img_size
        self.patch_size = patch_size
        self.grid_size = img_size // patch_size
        self.text_embed = nn.Embedding(vocab_size, self.embed_dims)
        self.vision_embed = VisionEmbedding(self.embed_dims, patch_size)
        self.encoder = BEiT3Encoder(
            embed_dims=self.embed_dims,
            num_layers=self.num_layers,
            num_heads=num_heads,
            ffn_dims=ffn_dims,
            num_vision_positions=self.grid_size**2 + 1,
            max_text_positions=max_text_positions,
            drop_path_rate=drop_path_rate)

    def init_weights(self) -> None:
        """Initialise as BEiT-3's ``BEiT3Wrapper``, then load a checkpoint.

        Every linear layer gets a normal of std 0.02 truncated at +-0.02
        (the wrapper passes ``a=-std, b=std``) and zero biases, every
        LayerNorm ones and zeros. The rest keeps torchscale's
        construction: words N(0, C**-0.5), position tables N(0, 1), the
        patch convolution PyTorch's default, the tokens zeros.
        """
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=.02, a=-.02, b=.02, bias=0.)
            elif isinstance(m, nn.LayerNorm):
                constant_init(m, 1.0, bias=0.)
        nn.init.normal_(self.text_embed.weight, std=self.embed_dims**-0.5)
        nn.init.normal_(self.encoder.embed_positions.A.weight)
        nn.init.normal_(self.encoder.embed_positions.B.weight)
        self.vision_embed.proj.reset_parameters()
        nn.init.zeros_(self.vision_embed.cls_token)
        nn.init.zeros_(self.vision_embed.mask_token)
        if self.init_cfg is None:
            return
        if self.init_cfg.get('type') != 'Pretrained':
            raise ValueError('BEiT3 takes init_cfg=dict(type="Pretrained", '
                             f'checkpoint=...) only, not {self.init_cfg}')
        self.load_pretrained(self.init_cfg['checkpoint'],
                             self.init_cfg.get('prefix', 'backbone.'))

    def load_pretrained(self,
                        checkpoint: str,
                        prefix: str = 'backbone.') -> None:
        """Load a BEiT-3 release or an mmvg checkpoint strictly.

        Args:
            checkpoint (str): Path or URL.
            prefix (str): The encoder's prefix in an mmvg checkpoint.

        Raises:
            ValueError: On a checkpoint of another width or depth.
            KeyError: When it holds neither ``beit3.`` nor ``prefix`` keys.
        """
        logger = MMLogger.get_current_instance()
        checkpoint = str(checkpoint)
        ckpt = CheckpointLoader.load_checkpoint(
            checkpoint, logger=logger, map_location='cpu')
        for key in ('model', 'module', 'state_dict'):
            if key in ckpt:
                ckpt = ckpt[key]
                break
        if any(k.startswith(('beit3.', 'module.beit3.')) for k in ckpt):
            state_dict, dropped = convert_beit3_release(
                ckpt, self.img_size, self.patch_size, checkpoint)
            if dropped:
                logger.info(f'{checkpoint}: left out {len(dropped)} keys '
                            f'that are not the encoder\'s: {dropped}')
        else:
            state_dict = OrderedDict((k[len(prefix):], v)
                                     for k, v in ckpt.items()
                                     if k.startswith(prefix))
            if not state_dict:
                raise KeyError(
                    f'{checkpoint}: neither "beit3." (a BEiT-3 release) '
                    f'nor "{prefix}" keys (an mmvg checkpoint, see '
                    'tools/model_converters/beit3_to_mmvg.py)')
            state_dict = resize_vision_embeddings(state_dict, self.img_size,
                                                  self.patch_size)
        self._check_size(state_dict, checkpoint)
        self.load_state_dict(state_dict, strict=True)
        logger.info(f'Loaded {len(state_dict)} BEiT-3 tensors from '
                    f'{checkpoint}')

    def _check_size(self, state_dict: Dict[str, torch.Tensor],
                    source: str) -> None:
        """Refuse a checkpoint of another width or depth by name, before
        a strict load lists every mismatching tensor."""
        text = state_dict.get('text_embed.weight')
        if text is not None and text.shape[1] != self.embed_dims:
            raise ValueError(
                f'checkpoint {source} has width {_width_name(text.shape[1])}'
                f', this BEiT3 has {_width_name(self.embed_dims)}; choose '
                'the arch of the checkpoint')
        depth = 1 + max(
            (int(k.split('.')[2])
             for k in state_dict if k.startswith('encoder.layers.')),
            default=-1)
        if depth != self.num_layers:
            raise ValueError(f'checkpoint {source} has {depth} layers, this '
                             f'BEiT3 has {self.num_layers}')

    def forward(
        self,
        images: torch.Tensor,
        text_ids: torch.Tensor,
        text_padding_mask: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]:
        """Encode images and sentences jointly.

        Args:
            images (Tensor): (N, 3, H, W), H and W equal to ``img_size``.
            text_ids (Tensor): (N, L) token ids.
            text_padding_mask (Tensor, optional): (N, L) bool, True on
                padding (torchscale's polarity). None: no padding.

        Returns:
            dict: ``cls_feat`` (N, C), the class token; ``img_feats``
            (N, C, h, w), the patches on their grid; ``text_feats``
            (N, L, C), the words (padding rows included).
        """
        n, _, height, width = images.shape
        if (height, width) != (self.img_size, self.img_size):
            raise ValueError(f'BEiT3 takes {self.img_size}x{self.img_size} '
                             f'images (its position table), got '
                             f'{height}x{width}')
        vision = self.vision_embed(images)
        split = vision.size(1)
        x = torch.cat([vision, self.text_embed(text_ids)], dim=1)
        padding_mask = None
        if text_padding_mask is not None:
            vision_mask = text_padding_mask.new_zeros(
                n, split, dtype=torch.bool)
            padding_mask = torch.cat(
                [vision_mask, text_padding_mask.bool()], dim=1)
        x = self.encoder(x, split, padding_mask)
        grid = (self.grid_size, self.grid_size)
        img_feats = x[:, 1:split].transpose(1, 2).unflatten(2, grid)
        return dict(
            cls_feat=x[:, 0], img_feats=img_feats, text_feats=x[:, split:])

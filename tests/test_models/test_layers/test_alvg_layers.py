# Copyright (c) mmvg contributors. All rights reserved.
import torch

from mmvg.models.layers import (ALVGDecoder, ALVGMaskHead, ImgEnhance,
                                TextGuidedQueryGenerator, pool_text,
                                text_sine_position)


def test_pool_text_quirk_takes_the_last_two_rows():
    feats = torch.randn(2, 6, 4)
    mask = torch.tensor([[False] * 3 + [True] * 3, [False] * 6])
    pooled = pool_text(feats, mask)
    assert torch.equal(pooled[0], feats[0, :3].max(dim=0)[0])
    assert torch.equal(pooled[1], feats[1].max(dim=0)[0])
    quirk = pool_text(feats, mask, quirk=True)
    # ~0 = -1 (real tokens) and ~1 = -2 (padding) index rows 5 and 4.
    assert torch.equal(quirk[0], feats[0, 4:].max(dim=0)[0])
    assert torch.equal(quirk[1], feats[1, 5])


def test_text_sine_position_integer_frequencies():
    pos = torch.arange(5.)
    exact = text_sine_position(5, 8)
    quirk = text_sine_position(5, 8, int_freq=True)
    assert torch.allclose(quirk[:, 0], pos.sin())
    assert torch.allclose(quirk[:, 1], pos.cos())
    assert (quirk[:, 2::2] == 0).all() and (quirk[:, 3::2] == 1).all()
    assert torch.allclose(exact[:, :2], quirk[:, :2])
    assert torch.allclose(exact[:, 2], (pos / 10).sin())


def test_img_enhance_gate_is_standardised_over_positions():
    module = ImgEnhance(8, dropout=0.0)
    img, pos, text = torch.randn(2, 6, 8), torch.randn(2, 6,
                                                       8), torch.randn(2, 8)
    out, score = module(img, pos, text)
    logits = torch.logit(score / 2)
    assert torch.allclose(logits.mean(dim=1), torch.zeros(2), atol=1e-5)
    assert torch.allclose(logits.std(dim=1), torch.ones(2), atol=1e-5)
    assert torch.allclose(out, module.img_proj(img + pos) * score[..., None])


def test_decoder_layers_share_zero_targets_unless_chained():
    torch.manual_seed(0)
    layer_cfg = dict(
        embed_dims=8, num_heads=2, feedforward_channels=16, dropout=0.0)
    parallel = ALVGDecoder(2, layer_cfg)
    chained = ALVGDecoder(2, layer_cfg, chain_queries=True)
    chained.load_state_dict(parallel.state_dict())
    args = (torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 8),
            torch.tensor([[False] * 5, [False] * 4 + [True]]))
    queries, attn = parallel(*args)
    assert queries.shape == (2, 2, 3, 8) and attn.shape == (2, 2, 3, 5)
    assert torch.allclose(attn.sum(-1), torch.ones(2, 2, 3))
    assert (attn[:, 1, :, -1] == 0).all()  # padding gets no attention
    single = ALVGDecoder(1, layer_cfg).eval()
    single.layers[0].load_state_dict(parallel.layers[1].state_dict())
    assert torch.allclose(single(*args)[0][0], queries[1], atol=1e-6)
    chained_queries, _ = chained(*args)
    assert torch.allclose(chained_queries[0], queries[0])
    assert not torch.allclose(chained_queries[1], queries[1])


def test_mask_head_upsamples_eight_times():
    head = ALVGMaskHead(16, channels=8).eval()
    assert head(torch.randn(2, 16, 3, 5), torch.zeros(2, 16, 3,
                                                      5)).shape == (2, 24, 40)


def test_query_generator_reads_the_last_layer():
    """The generated queries come from the last of the two layers, after
    the decoder's final LayerNorm (the official generator's output)."""
    torch.manual_seed(0)
    dims = 32
    layer = dict(
        self_attn_cfg=dict(embed_dims=dims, num_heads=4, attn_drop=0.0),
        cross_attn_cfg=dict(embed_dims=dims, num_heads=4, attn_drop=0.0),
        ffn_cfg=dict(embed_dims=dims, feedforward_channels=64, ffn_drop=0.0))
    gen = TextGuidedQueryGenerator(
        num_queries=3,
        embed_dims=dims,
        decoder=dict(num_layers=2, layer_cfg=layer)).eval()
    text = torch.randn(2, 5, dims)
    pos = torch.randn(2, 5, dims)
    mask = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    pooled = torch.randn(2, dims)
    embed = gen.query_embed.weight[None].expand(2, -1, -1)
    query = torch.zeros_like(embed)
    for block in gen.decoder.layers:
        query = block(
            query,
            key=text,
            value=text,
            query_pos=embed,
            key_pos=pos,
            key_padding_mask=mask)
    expected = gen.decoder.post_norm(query) + pooled[:, None] + embed
    out = gen(text, pos, mask, pooled)
    assert out.shape == (2, 3, dims)
    torch.testing.assert_close(out, expected)

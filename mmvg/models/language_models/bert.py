# Copyright (c) mmvg contributors. All rights reserved.
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor
from transformers import BertConfig, BertModel

from mmvg.registry import MODELS

_HOW_TO_GET_BERT = (
    'Download the weights of a BERT model (config.json, vocab.txt and '
    'model.safetensors or pytorch_model.bin) into that directory, e.g. '
    '`huggingface-cli download google-bert/bert-base-uncased --local-dir '
    '{path}` on a machine with internet access, or set `pretrained=None` '
    'and give `config` to build a randomly initialised BERT.')


def check_bert_dir(path: str) -> None:
    """Fail with an actionable message when a local BERT dir is missing.

    Args:
        path (str): The local directory expected to hold a BERT model.
    """
    if not osp.isfile(osp.join(path, 'config.json')):
        raise FileNotFoundError(
            f'No BERT model found at "{path}" (config.json is missing). ' +
            _HOW_TO_GET_BERT.format(path=path))


@MODELS.register_module()
class BertTextEncoder(BaseModule):
    """A BERT text encoder from ``transformers``, built offline.

    The architecture comes from ``config`` (the keyword arguments of
    :class:`transformers.BertConfig`) when given, otherwise from the local
    directory ``pretrained``. The weights of ``pretrained`` are loaded in
    :meth:`init_weights`, so that a later ``load_from`` checkpoint wins; a
    missing directory fails there with its path and how to get it.

    It follows mmvg's text-encoder contract: :meth:`forward` takes the
    stacked ``tokens`` of a batch and returns a dict with ``word_feats``,
    the mean of the hidden states of the last ``num_output_layers``
    transformer layers (VLTVG averages the last 4; ``1`` gives the usual
    last hidden state), and ``word_mask``, True on real tokens.

    The tokenizer of the model's data preprocessor is the one place text is
    cut to length; the encoder never truncates. Token ids longer than its
    position table are refused with a message saying where to set the
    length.

    Args:
        pretrained (str, optional): A local directory holding a BERT model
            in the ``transformers`` format. Defaults to None.
        config (dict, optional): ``BertConfig`` keyword arguments; they
            must describe the model of ``pretrained`` if both are given.
            Defaults to None.
        num_output_layers (int): How many of the last layers to average.
            Defaults to 1.
        add_pooling_layer (bool): Whether to keep BERT's pooler. Its output
            is unused; keeping it (frozen) keeps the state dict identical to
            checkpoints that hold it. Defaults to True.
        attn_implementation (str): ``transformers``' attention kernel:
            ``'sdpa'`` (PyTorch's fused scaled-dot-product attention, the
            same math) or ``'eager'`` (the explicit softmax of the original
            BERT code). Defaults to 'sdpa'.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=<directory>)`` is accepted as ``pretrained``.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 num_output_layers: int = 1,
                 add_pooling_layer: bool = True,
                 attn_implementation: str = 'sdpa',
                 init_cfg: Optional[dict] = None) -> None:
        if init_cfg is not None and init_cfg.get('type') == 'Pretrained':
            pretrained = init_cfg['checkpoint']
            init_cfg = None
        super().__init__(init_cfg=init_cfg)
        if pretrained is None and config is None:
            raise ValueError('BertTextEncoder needs `pretrained` (a local '
                             'directory) or `config`.')
        self.pretrained = pretrained
        if config is not None:
            # Building from ``config`` reads no file, so a model whose BERT
            # directory is absent still builds; init_weights then fails.
            bert_config = BertConfig(
                **config, attn_implementation=attn_implementation)
        else:
            check_bert_dir(pretrained)
            bert_config = BertConfig.from_pretrained(
                pretrained, attn_implementation=attn_implementation)
        self.bert = BertModel(bert_config, add_pooling_layer=add_pooling_layer)
        if add_pooling_layer:
            # The pooler never contributes to the output; freezing it keeps
            # DDP from waiting for its gradients.
            self.bert.pooler.requires_grad_(False)
        if not 1 <= num_output_layers <= bert_config.num_hidden_layers:
            raise ValueError(
                f'num_output_layers must be in [1, '
                f'{bert_config.num_hidden_layers}], got {num_output_layers}')
        self.num_output_layers = num_output_layers
        self.max_positions = bert_config.max_position_embeddings
        self.embed_dims = bert_config.hidden_size

    def init_weights(self) -> None:
        """Load the weights of ``pretrained``.

        BERT's own random initialisation happened at construction; the
        ``transformers`` model's ``init_weights`` is deliberately not called
        again.
        """
        if self.pretrained is None:
            return
        check_bert_dir(self.pretrained)
        loaded = BertModel.from_pretrained(
            self.pretrained, add_pooling_layer=self.bert.pooler is not None)
        self.bert.load_state_dict(loaded.state_dict())

    def forward(self, tokens: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Encode a batch of token ids.

        Args:
            tokens (dict[str, Tensor]): ``input_ids`` and
                ``attention_mask`` (1 on real tokens), optionally
                ``token_type_ids``, each (N, L).

        Returns:
            dict[str, Tensor]: ``word_feats`` (N, L, C) and ``word_mask``
            (N, L) bool, True on real tokens.
        """
        input_ids = tokens['input_ids']
        if input_ids.size(1) > self.max_positions:
            raise ValueError(
                f'{input_ids.size(1)} tokens exceed the {self.max_positions} '
                'positions of the text encoder; set `max_length` of the '
                "tokenizer in the model's data_preprocessor (the one place "
                'text is cut) to at most that.')
        out = self.bert(
            input_ids=input_ids,
            attention_mask=tokens['attention_mask'].long(),
            token_type_ids=tokens.get('token_type_ids'),
            output_hidden_states=True)
        # hidden_states[0] is the embedding output, then one per layer.
        layers = out.hidden_states[-self.num_output_layers:]
        return dict(
            word_feats=torch.stack(layers, dim=0).mean(dim=0),
            word_mask=tokens['attention_mask'].bool())

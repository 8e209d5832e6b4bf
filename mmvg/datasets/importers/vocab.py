# Copyright (c) mmvg contributors. All rights reserved.
"""The word vocabulary file of LSTM/GRU text encoders
(``data_tools/build_vocab.py``, the synthetic dataset's preparation) and
the synthetic dataset's SentencePiece model (tiny BEiT-3 models)."""
import io
import json
from typing import List, Sequence, Tuple

from ..canonical import load_canonical
from ..tokenizers import build_word_vocab, clean_expression


def write_word_vocab(ann_files: Sequence[str],
                     out_file: str,
                     min_freq: int = 1,
                     order: str = 'frequency') -> Tuple[int, int]:
    """Build the word vocabulary of canonical files and write it as JSON.

    With ``order='frequency'`` (mmvg's vocabularies), only pass canonical
    files of training splits: a vocabulary built on val/test expressions
    leaks them into the model, so a file whose metainfo names another
    split is used with a warning. With ``order='first_seen'`` (the official
    SimREC/MCN vocabulary), pass the files of every split in the order of
    the splits in the official annotation file: words are numbered in the
    order they first occur across the files, records in file order.

    Args:
        ann_files (Sequence[str]): Canonical files, read in this order.
        out_file (str): The vocabulary JSON (word -> id) to write.
        min_freq (int): Words seen fewer times become ``UNK``.
            Defaults to 1.
        order (str): ``'frequency'`` or ``'first_seen'``
            (:func:`~mmvg.datasets.tokenizers.build_word_vocab`).
            Defaults to ``'frequency'``.

    Returns:
        tuple[int, int]: The number of words and of expressions.
    """
    texts: List[str] = []
    for path in ann_files:
        metainfo, records = load_canonical(path)
        is_train = metainfo.get('split') in (None, 'train')
        if order == 'frequency' and not is_train:
            print(f'warning: {path} is split {metainfo["split"]!r}, not '
                  'train')
        texts.extend(r['text'] for r in records)
    vocab = build_word_vocab(texts, min_freq, order)
    with open(out_file, 'w', encoding='utf-8') as f:
        json.dump(vocab, f, indent=0)
    return len(vocab), len(texts)


def write_sentencepiece_model(ann_files: Sequence[str],
                              out_file: str,
                              vocab_size: int = 96) -> None:
    """Train a SentencePiece model on the cleaned expressions of
    canonical files.

    The quick starts of BEiT-3 models read it through
    :class:`~mmvg.datasets.BEiT3Tokenizer` in place of ``beit3.spm``,
    whose 64,000 pieces a tiny model cannot afford. Pass training splits
    only, as for :func:`write_word_vocab`. The model is BPE, not unigram
    as ``beit3.spm``: on the synthetic train split the unigram trainer
    keeps 40 pieces, mostly letters, and a quarter of the expressions
    would not fit in BEiT-3's 20 tokens; BPE with 96 pieces holds every
    word whole.

    Args:
        ann_files (Sequence[str]): Canonical files of training splits.
        out_file (str): The model file to write.
        vocab_size (int): At most this many pieces. Defaults to 96.
    """
    texts = []
    for path in ann_files:
        texts.extend(r['text'] for r in load_canonical(path)[1])
    train_sentencepiece_model(texts, out_file, vocab_size, 'bpe')


def train_sentencepiece_model(texts: Sequence[str],
                              out_file: str,
                              vocab_size: int = 64,
                              model_type: str = 'unigram') -> None:
    """Train a SentencePiece model on ``texts``, on one thread, so that
    the same texts give the same file.

    Args:
        texts (Sequence[str]): Expressions, cleaned here as
            :class:`~mmvg.datasets.BEiT3Tokenizer` cleans them.
        out_file (str): The model file to write.
        vocab_size (int): At most this many pieces. Defaults to 64.
        model_type (str): ``'unigram'`` (as ``beit3.spm``) or ``'bpe'``.
            Defaults to 'unigram'.
    """
    import sentencepiece
    model = io.BytesIO()
    # Trained from memory: the file records no temporary path.
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=(clean_expression(t) for t in texts),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        model_type=model_type,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2)
    with open(out_file, 'wb') as f:
        f.write(model.getvalue())

# Copyright (c) mmvg contributors. All rights reserved.
r"""Build a word vocabulary for LSTM/GRU text encoders from canonical files.

Two orders:

- ``frequency`` (default, mmvg's own models): words by frequency. Only
  pass training splits: a vocabulary built on val/test expressions leaks
  them into the model.
- ``first_seen``: the official SimREC/MCN vocabulary, which its converted
  checkpoints need (the rows of their word embedding follow it). Pass the
  files of every split, in the order the splits appear in SimREC's
  ``anns/<dataset>.json`` (``python -c "import json; print(list(json.load(
  open('data/anns/refcoco.json'))))"``), as written by
  ``data_tools/import_simrec.py``, which keeps the entries' order.

With ``--spm-out``, it also trains a SentencePiece model (BPE, 96 pieces:
every synthetic word whole) on the same expressions, for tiny BEiT-3
models (the synthetic quick starts).

Examples::

    python data_tools/build_vocab.py data/mmvg_anns/refcoco_unc_train.json \
        --out data/mmvg_anns/refcoco_unc_vocab.json
    python data_tools/build_vocab.py --order first_seen \
        data/annotations/refcoco_unc_{train,val,testA,testB}.json \
        --out data/annotations/refcoco_unc_simrec_vocab.json
"""
import argparse

from mmvg.datasets.importers.vocab import (write_sentencepiece_model,
                                           write_word_vocab)
from mmvg.datasets.tokenizers import VOCAB_ORDERS


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument(
        'ann_files',
        nargs='+',
        help='canonical files: training splits (frequency), or every '
        'split in the official order (first_seen)')
    parser.add_argument('--out', required=True, help='vocabulary json')
    parser.add_argument(
        '--order',
        choices=VOCAB_ORDERS,
        default='frequency',
        help='word order: by frequency (default) or by first occurrence '
        '(the official SimREC/MCN vocabulary)')
    parser.add_argument(
        '--min-freq',
        type=int,
        default=1,
        help='words seen fewer times become UNK')
    parser.add_argument(
        '--spm-out',
        help='also write a SentencePiece model of the expressions here')
    args = parser.parse_args(argv)
    num_words, num_texts = write_word_vocab(args.ann_files, args.out,
                                            args.min_freq, args.order)
    print(f'{num_words} words from {num_texts} expressions -> {args.out}')
    if args.spm_out:
        write_sentencepiece_model(args.ann_files, args.spm_out)
        print(f'SentencePiece model -> {args.spm_out}')


if __name__ == '__main__':
    main()

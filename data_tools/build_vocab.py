# Copyright (c) mmvg contributors. All rights reserved.
"""Build a word vocabulary for LSTM text encoders from training files.

Only pass canonical files of training splits: a vocabulary built on
val/test expressions leaks them into the model.

Example::

    python data_tools/build_vocab.py data/mmvg_anns/refcoco_unc_train.json \
        --out data/mmvg_anns/refcoco_unc_vocab.json
"""
import argparse

from mmvg.datasets.importers.vocab import write_word_vocab


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'ann_files', nargs='+', help='canonical files of training splits')
    parser.add_argument('--out', required=True, help='vocabulary json')
    parser.add_argument(
        '--min-freq',
        type=int,
        default=1,
        help='words seen fewer times become UNK')
    args = parser.parse_args(argv)
    num_words, num_texts = write_word_vocab(args.ann_files, args.out,
                                            args.min_freq)
    print(f'{num_words} words from {num_texts} expressions -> {args.out}')


if __name__ == '__main__':
    main()

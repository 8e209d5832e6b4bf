# Copyright (c) mmvg contributors. All rights reserved.
"""Build a word vocabulary for LSTM text encoders from training files.

Only pass canonical files of training splits: a vocabulary built on
val/test expressions leaks them into the model.

Example::

    python data_tools/build_vocab.py data/mmvg_anns/refcoco_unc_train.json \
        --out data/mmvg_anns/refcoco_unc_vocab.json
"""
import argparse
import json

from mmvg.datasets.canonical import load_canonical
from mmvg.datasets.tokenizers import build_word_vocab


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
    texts = []
    for path in args.ann_files:
        metainfo, records = load_canonical(path)
        if metainfo.get('split') not in (None, 'train'):
            print(f'warning: {path} is split {metainfo["split"]!r}, not '
                  'train')
        texts.extend(r['text'] for r in records)
    vocab = build_word_vocab(texts, args.min_freq)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump(vocab, f, indent=0)
    print(f'{len(vocab)} words from {len(texts)} expressions -> {args.out}')


if __name__ == '__main__':
    main()

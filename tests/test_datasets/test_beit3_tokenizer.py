# Copyright (c) mmvg contributors. All rights reserved.
import random
import shutil

import pytest

from mmvg.datasets import BEiT3Tokenizer
from mmvg.registry import TASK_UTILS

WORDS = [
    'man', 'woman', 'left', 'right', 'red', 'blue', 'shirt', 'the', 'on',
    'near', 'guy', 'in', 'with', 'hat', 'big', 'small', 'café', 'über',
    'naïve', '東京', '猫', 'собака', 'κόκκινο'
]
PUNCT = ['.', ',', "'", '!', '?', '"', '(', ')', '*', '#', ':', ';', '-', '/']

# Characters absent from the SentencePiece training text: <unk> pieces.
UNSEEN = ['Xylophone', 'ÆØÅ', 'ß¿', 'Ωmega']


def expressions(n: int, seed: int, vocabulary: list = WORDS) -> list:
    """Random expressions: mixed case, punctuation, non-ASCII words."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 14))]
        text = ''
        for w in words:
            text += w if rng.random() < 0.7 else w.upper()
            text += rng.choice([' ', ' ', '  ', rng.choice(PUNCT)])
        out.append(text)
    return out


@pytest.fixture(scope='module')
def spm_file(tmp_path_factory):
    """A tiny unigram SentencePiece model (beit3.spm is one too)."""
    import sentencepiece
    root = tmp_path_factory.mktemp('spm')
    corpus = root / 'corpus.txt'
    corpus.write_text(
        '\n'.join(expressions(400, seed=0)).lower(), encoding='utf-8')
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(root / 'beit3'),
        vocab_size=60,
        model_type='unigram',
        character_coverage=0.98,
        minloglevel=2)
    return str(root / 'beit3.model')


def test_same_ids_as_xlm_roberta(spm_file, tmp_path):
    """200 expressions give the ids of transformers' XLMRobertaTokenizer,
    the tokenizer the official ALVG loader numbers pieces with."""
    pytest.importorskip('google.protobuf')
    from transformers import XLMRobertaTokenizer
    shutil.copy(spm_file, tmp_path / 'sentencepiece.bpe.model')
    reference = XLMRobertaTokenizer.from_pretrained(str(tmp_path))
    assert (reference.bos_token_id, reference.pad_token_id,
            reference.eos_token_id, reference.unk_token_id) == (0, 1, 2, 3)
    tok = BEiT3Tokenizer(spm_file=spm_file, max_length=20)
    texts = expressions(200, seed=1, vocabulary=WORDS + UNSEEN)
    truncated = 0
    for text in texts:
        out = tok(text)
        # The official loader: clean, tokenize, ids, cut to max - 2,
        # <s> ... </s>, pad with <pad>.
        cleaned = text.lower()
        for c in '.,\'!?"()*#:;':
            cleaned = cleaned.replace(c, '')
        cleaned = cleaned.replace('-', ' ').replace('/', ' ')
        ids = reference.convert_tokens_to_ids(reference.tokenize(cleaned))
        truncated += len(ids) > 18
        ids = [0] + ids[:18] + [2]
        mask = [1] * len(ids) + [0] * (20 - len(ids))
        ids += [1] * (20 - len(ids))
        assert out['input_ids'].tolist() == ids, text
        assert out['attention_mask'].tolist() == mask, text
    # The set exercises truncation, unknown pieces and short expressions.
    assert truncated > 10
    assert any(3 in tok(t)['input_ids'].tolist() for t in texts)


def test_punctuation_only_and_no_padding(spm_file):
    tok = TASK_UTILS.build(
        dict(type='BEiT3Tokenizer', spm_file=spm_file, max_length=6))
    out = tok('?!. ;')
    assert out['input_ids'].tolist() == [0, 2, 1, 1, 1, 1]
    assert out['attention_mask'].tolist() == [1, 1, 0, 0, 0, 0]
    unpadded = BEiT3Tokenizer(
        spm_file=spm_file, max_length=6, pad_to_max_length=False)
    assert unpadded('...')['input_ids'].tolist() == [0, 2]
    long = unpadded('the man on the left near the woman')['input_ids']
    assert len(long) == 6 and long[0] == 0 and long[-1] == 2


def test_missing_spm_names_path_and_source(tmp_path):
    missing = str(tmp_path / 'beit3.spm')
    tok = BEiT3Tokenizer(spm_file=missing)  # built before the file exists
    with pytest.raises(FileNotFoundError) as e:
        tok('the man')
    assert missing in str(e.value)
    assert 'microsoft/unilm' in str(e.value)
    with pytest.raises(ValueError, match='max_length'):
        BEiT3Tokenizer(spm_file=missing, max_length=1)


def test_synthetic_sentencepiece_model(tmp_path):
    """The synthetic dataset's own SentencePiece model covers its
    expressions, each whole within 20 tokens (padding left over): no
    <unk>, the same file from the same data."""
    from mmvg.datasets import load_canonical
    from mmvg.datasets.importers.synthetic import prepare_synthetic
    from mmvg.datasets.importers.vocab import write_sentencepiece_model
    data_root = str(tmp_path / 'synthetic')
    prepare_synthetic(data_root, num_images=12, seed=0)
    ann_dir = tmp_path / 'synthetic' / 'annotations'
    spm_file = ann_dir / 'synthetic.spm'
    tok = BEiT3Tokenizer(spm_file=str(spm_file))
    _, records = load_canonical(str(ann_dir / 'synthetic_unc_val.json'))
    for record in records:
        ids = tok(record['text'])['input_ids'].tolist()
        assert BEiT3Tokenizer.UNK not in ids, record['text']
        assert len(ids) == 20 and ids[0] == 0 and 2 in ids
        assert ids[-1] == BEiT3Tokenizer.PAD, record['text']
    again = tmp_path / 'again.spm'
    write_sentencepiece_model([str(ann_dir / 'synthetic_unc_train.json')],
                              str(again))
    assert again.read_bytes() == spm_file.read_bytes()

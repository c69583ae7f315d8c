"Edge cases of the voice stage that the notebook does not show."
import os, threading
from pathlib import Path
from types import SimpleNamespace
import numpy as np
import pytest
from aistudio.core import InputError
from aistudio.film import Character, Voice, sample_film
from aistudio.voice import PiperVoice, align_words, cast_voices, voices_distinct, _phones_and_groups


@pytest.fixture(scope='module')
def tts():
    t = PiperVoice.from_pretrained()
    t._load()
    return t


def test_import_is_light():
    import subprocess, sys
    code = "import sys, aistudio.voice; print(int(any(m in sys.modules for m in ('piper', 'onnxruntime', 'onnx'))))"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == '0'


def test_many_characters_distinct_and_kept():
    f = sample_film()
    f.characters = [Character(f'C{i}', a, g) for i, (a, g) in enumerate(
        [(30, 'female'), (31, 'female'), (70, 'female'), (40, 'male'), (41, 'male'), (80, 'male'),
         (8, 'female'), (9, 'male'), (15, 'male'), (30, 'neutral')])]
    fixed = Voice('default', -1.0, 0.97, 1.0)
    f.characters[3].voice = fixed
    cast = cast_voices(f, seed=7)
    names = list(cast)
    assert cast['C3'] is fixed
    assert all(voices_distinct(cast[a], cast[b]) for i, a in enumerate(names) for b in names[i + 1:])
    assert cast['C2'].tempo < 0.95 and cast['C5'].tempo < 0.95  # elders are slower


def test_threads_match_sequential(tts):
    lines = ['The sea is loud tonight.', 'Close the shutters, quickly!', 'I hear it too.']
    seq = [tts(l, voice=Voice('default', 3.0, 1.1), seed=3).audio for l in lines]
    par = [None] * len(lines)
    def work(i): par[i] = tts(lines[i], voice=Voice('default', 3.0, 1.1), seed=3).audio
    ts = [threading.Thread(target=work, args=(i,)) for i in range(len(lines))]
    for t in ts: t.start()
    for t in ts: t.join()
    for a, b in zip(seq, par): assert np.array_equal(a, b)


def test_callback_and_sentences(tts):
    seen = []
    out = tts('One. Two! Three?', voice=Voice(), callback=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] == 4 and [d for d, _ in seen] == [1, 2, 3, 4]
    assert [w.text for w in out.words] == ['One.', 'Two!', 'Three?']


def test_bad_inputs(tts):
    for kw, msg in [(dict(emotion='smug'), 'emotion'), (dict(seed=-1), 'seed'), (dict(voice=Voice('default', 30.0)), 'voice.pitch'),
                    (dict(voice=Voice('default', 0.0, 2.0)), 'voice.formant')]:
        with pytest.raises(InputError, match=msg): tts('Hello there.', **{'voice': Voice(), **kw})
    for text in ['', '   ', '... !!! ???', '🙂🙂', 'αβγ']:
        with pytest.raises(InputError): tts(text, voice=Voice())


def test_other_model_path(tmp_path, tts):
    (tmp_path / 'v.onnx').symlink_to(tts.model_path)
    with pytest.raises(InputError, match='v.onnx.json'): PiperVoice.from_pretrained(tmp_path / 'v.onnx')
    (tmp_path / 'v.onnx.json').symlink_to(tts.config_path)
    other = PiperVoice.from_pretrained(str(tmp_path / 'v.onnx'))
    assert other.params()['model'] == 'v.onnx' and other.params()['model_sha256'] == tts.params()['model_sha256']
    with pytest.raises(InputError, match='nope.onnx'): PiperVoice.from_pretrained(tmp_path / 'nope.onnx')


def test_align_fallbacks():
    "Mismatched word counts are matched by phonemes; a sentence without alignments is spread evenly."
    A = lambda p, n: SimpleNamespace(phoneme=p, num_samples=n)
    ch = SimpleNamespace(phonemes=None, audio_float_array=np.zeros(90), phoneme_alignments=[
        A('^', 10), A('a', 10), A('b', 10), A(' ', 5), A('c', 10), A('d', 10), A('e', 10), A('f', 10), A('.', 10), A('$', 5)])
    phones, groups = _phones_and_groups([ch])
    assert len(groups) == 2
    lex = {'ab': [['a', 'b']], 'cd': [['c', 'd']], 'ef': [['e', 'f']]}
    spans = align_words(['ab', 'cd', 'ef'], phones, groups, lambda w: lex[w])
    assert spans == [(10, 30), (35, 55), (55, 75)]
    spans = align_words(['ab', 'zz', 'ef'], phones, groups, lambda w: lex.get(w, [['z']]))
    assert spans[0] == (10, 30) and spans[2] == (55, 75) and 30 <= spans[1][0] <= spans[1][1] <= 55
    ch3 = SimpleNamespace(phonemes=None, audio_float_array=np.zeros(70), phoneme_alignments=[
        A('^', 10), A('a', 10), A(' ', 5), A('q', 10), A(' ', 5), A('e', 10), A('.', 10), A('$', 10)])
    phones, groups = _phones_and_groups([ch3])
    assert align_words(['a', 'zz', 'e', 'x'], phones, groups, lambda w: [[w[0]]]) == [(10, 20), (25, 35), (40, 50), (50, 50)]
    bare = SimpleNamespace(phonemes=list('ab cd'), audio_float_array=np.zeros(50), phoneme_alignments=None)
    phones, groups = _phones_and_groups([bare])
    assert [(phones[a][1], phones[b][2]) for a, b in groups] == [(0, 20), (30, 50)]

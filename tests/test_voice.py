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


def test_archetypes_and_traits():
    from aistudio.voice import voice_archetype, look_traits
    cases = [((8, 'male', ''), 'child'), ((19, 'female', ''), 'young_woman'), ((40, 'female', ''), 'woman'),
             ((70, 'female', ''), 'old_woman'), ((45, 'female', 'an old fisherwoman'), 'old_woman'), ((20, 'male', ''), 'young_man'),
             ((40, 'male', ''), 'man'), ((62, 'male', ''), 'old_man'), ((40, 'neutral', ''), 'neutral'), ((40, 'male', 'a huge ogre'), 'giant')]
    for args, want in cases: assert voice_archetype(*args) == want, (args, want)
    assert look_traits('Gruff, gravelly-voiced and nervous') == ['gruff', 'gravel', 'nervous']
    assert look_traits('a bright-eyed girl') == ['bright'] and look_traits('') == [] and look_traits('soldier') == []


def test_traits_move_the_voice():
    "Personality words move pitch/formant/tempo the way their names say, relative to the same character without them."
    from aistudio.voice import preferred_voice
    base = preferred_voice(Character('X', 40, 'male'))
    gruff = preferred_voice(Character('X', 40, 'male', 'gruff and gravelly'))
    bright = preferred_voice(Character('X', 40, 'male', 'bright and cheerful'))
    nervous = preferred_voice(Character('X', 40, 'male', 'nervous'))
    assert gruff.pitch < base.pitch and gruff.formant < base.formant and any(e['name'] == 'distortion' for e in gruff.effects)
    assert bright.pitch > base.pitch and bright.tempo > base.tempo
    assert nervous.tempo > base.tempo and any(e['name'] == 'vibrato' for e in nervous.effects)
    robot = preferred_voice(Character('R', 40, 'neutral', 'a rusty robot'))
    assert robot.effects[0]['name'] == 'robot' and 50 < robot.effects[0]['params']['pitch_hz'] < 100


def test_cast_voices_sound_distinct(tts):
    """Nine cast archetypes say the same sentence; each pair's measured gap (f0 in semitones and spectral envelope in dB, combined)
    must exceed the sum of both voices' take-to-take gaps (same sentence, another seed), and f0 must order child > women > men > giant."""
    import itertools
    from aistudio.voice import voice_print, voice_gap, voice_distance
    f = sample_film()
    f.characters = [Character('GIRL', 7, 'female'), Character('JUNE', 20, 'female'), Character('ROSA', 38, 'female'),
                    Character('NAN', 72, 'female'), Character('TOM', 19, 'male'), Character('BEN', 45, 'male'),
                    Character('GRAMPS', 81, 'male'), Character('STORM', 40, 'neutral'), Character('OGRE', 40, 'male', 'a towering troll')]
    cast = cast_voices(f, seed=3)
    said = 'Bring the rope, we need to hurry before it gets dark.'
    takes = {n: [voice_print(tts(said, voice=v, seed=s).audio, 48000) for s in (0, 1)] for n, v in cast.items()}
    own = {n: voice_gap(*p) for n, p in takes.items()}
    worst = min((voice_gap(takes[a][0], takes[b][0]) - own[a] - own[b], a, b) for a, b in itertools.combinations(cast, 2))
    print('own take gaps', {n: round(g, 2) for n, g in own.items()}, 'smallest margin', worst)
    assert worst[0] > 0, worst
    f0 = {n: p[0].f0 for n, p in takes.items()}
    assert f0['GIRL'] > max(f0['JUNE'], f0['ROSA'], f0['NAN']) > min(f0['JUNE'], f0['ROSA'], f0['NAN']) > max(f0['TOM'], f0['BEN'], f0['GRAMPS'])
    assert min(f0, key=f0.get) == 'OGRE'
test_cast_voices_sound_distinct = pytest.mark.slow(test_cast_voices_sound_distinct)


def _intonations(tts, text, voice, emotions):
    from aistudio.voice import intonation
    return {e: intonation(tts(text, voice=voice, emotion=e).audio, 48000) for e in emotions}


@pytest.mark.slow
def test_emotion_shapes_the_melody(tts):
    """Two sentences, two voices: surprise rises (f0 slope > 0 st/s over voiced 40 ms frames, against Piper's natural declination of
    about -1 to -1.7 st/s), sadness falls (< 0), and joy and anger spread at least 2 semitones wider (10-90 percentile) than sadness
    (2 st is about the take-to-take spread of one neutral line; the contours aim at 1.5x neutral vs 0.5x)."""
    from aistudio.voice import cast_voices
    cast = cast_voices(sample_film())
    for text, voice in [('The keeper opened the door and found the storm waiting on the step outside.', Voice()),
                        ('Did you row all the way across the harbour in this weather?', cast['MARA'])]:
        m = _intonations(tts, text, voice, ('joy', 'surprise', 'sadness', 'anger'))
        print({e: (round(v['slope'], 2), round(v['range'], 1)) for e, v in m.items()})
        assert m['surprise']['slope'] > 0 > m['sadness']['slope'], m
        assert min(m['joy']['range'], m['anger']['range']) > m['sadness']['range'] + 2, m


def test_contour_keeps_duration_and_words(tts):
    "A pitch contour changes no timing: the same take with and without the contour has the same length and word times."
    from aistudio.voice import transform_voice, f0_track
    x = tts('Hold the lamp steady.', voice=Voice(), emotion='neutral').audio
    a = transform_voice(x, 48000)
    b = transform_voice(x, 48000, contour=(np.arange(0, len(x) / 48000, 0.02), np.linspace(-4, 4, len(np.arange(0, len(x) / 48000, 0.02)))))
    assert len(a) == len(b) and np.isfinite(b).all()
    fa, fb = f0_track(a, 48000), f0_track(b, 48000)
    both = (fa > 0) & (fb > 0); half = len(fa) // 2
    d = 12 * np.log2(fb[both] / fa[both]); idx = np.flatnonzero(both)
    assert np.median(d[idx >= half]) > np.median(d[idx < half]) + 2   # the ramp raises the end against the start
    with pytest.raises(InputError): transform_voice(x, 48000, contour=([0.0, np.nan], [0.0, 1.0]))


def test_fear_trembles(tts):
    from aistudio.voice import delivery
    assert any(isinstance(e, dict) and e['name'] == 'vibrato' and e['params']['rate_hz'] >= 7 for e in delivery('fear')['effects'])
    o = tts('Something is moving out there.', voice=Voice(), emotion='fear')
    assert np.isfinite(o.audio).all() and np.abs(o.audio).max() <= 0.89 + 1e-6


def test_two_hour_line_refused_fast(tts):
    import time
    line = 'the storm kept talking to the keeper all night long ' * 120_000   # ~6 MB, hours of speech
    t0 = time.perf_counter()
    with pytest.raises(InputError, match='split it into several lines'): tts(line, voice=Voice())
    assert time.perf_counter() - t0 < 2
    from aistudio.voice import MAX_LINE_CHARS
    with pytest.raises(InputError, match=f'{MAX_LINE_CHARS:,}'): tts('x' * (MAX_LINE_CHARS + 1), voice=Voice())


def test_run_on_sentence_in_pieces(tts):
    from aistudio.voice import split_pieces, MAX_PIECE_CHARS
    text = ' '.join(['the waves rolled in and the gulls cried'] * 12)   # ~470 characters, no punctuation
    parts = split_pieces(text)
    assert len(parts) == 2 and all(len(p) <= MAX_PIECE_CHARS for p in parts) and ' '.join(parts) == text
    o = tts(text, voice=Voice())
    assert len(o.words) == len(text.split()) and all(a.end <= b.start for a, b in zip(o.words, o.words[1:]))
    assert o.words[-1].end <= o.duration and np.abs(o.audio).max() <= 0.89 + 1e-6
test_run_on_sentence_in_pieces = pytest.mark.slow(test_run_on_sentence_in_pieces)


@pytest.mark.parametrize('text', ['?!…', '🎉🎉🎉', '— — —', '...   ', '(( ))', '🙂 !!! 👍'])
def test_punctuation_or_emoji_only_refused(tts, text):
    with pytest.raises(InputError, match='nothing to say'): tts(text, voice=Voice())


def test_ten_second_single_phoneme(tts):
    "'aaaa...' for about 10 s: real sound all the way through (no long silences), finite, peak <= 0.89."
    # espeak reads one 'aaa...' word for at most ~5 s, so two such words make the 10 s held vowel
    o = tts('a' * 140 + ' ' + 'a' * 140, voice=Voice(), emotion='joy')
    x = o.audio; n = 2400
    assert np.isfinite(x).all() and np.abs(x).max() <= 0.89 + 1e-6 and o.duration > 8, o.duration
    db = 10 * np.log10(np.mean(x[:len(x) // n * n].reshape(-1, n) ** 2, axis=1) + 1e-12)
    inner = db[2:-2]   # without the 50 ms pads
    print('duration', o.duration, 'share of 50 ms frames within 40 dB of the loudest', np.mean(inner > db.max() - 40))
    assert np.mean(inner > db.max() - 40) > 0.8


def test_unsupported_language(tmp_path, tts):
    import json
    with pytest.raises(InputError, match='CJK script'): tts('你好，世界', voice=Voice())
    (tmp_path / 'xx.onnx').symlink_to(tts.model_path)
    cfg = json.loads(tts.config_path.read_text()); cfg['espeak']['voice'] = 'xx-zz'
    (tmp_path / 'xx.onnx.json').write_text(json.dumps(cfg))
    other = PiperVoice.from_pretrained(tmp_path / 'xx.onnx')
    with pytest.raises(InputError, match="'xx-zz'.*does not support"): other('Hello there.', voice=Voice())


def test_pitch_contour_is_repeatable():
    "The same line with the same contour gives the same samples every time (the content-addressed cache relies on it)."
    from aistudio.voice import transform_voice
    sr = 22050
    t = np.arange(int(2.5 * sr)) / sr
    x = (np.sin(2 * np.pi * 140 * t * (1 + 0.1 * t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) * 0.3).astype(np.float32)
    times = np.arange(0, 2.5, 0.02); st = 2 * np.sin(2 * np.pi * 0.8 * times)
    outs = [transform_voice(x, sr, 1.0, 1.0, 1.0, contour=(times, st)) for _ in range(8)]
    assert all(np.array_equal(o, outs[0]) for o in outs)

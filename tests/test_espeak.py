"Tests of the eSpeak NG voice backend: word timings against the audio's energy, languages, transforms, errors, threads."
import json
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import pytest
from aistudio.core import InputError
from aistudio.film import Voice
from aistudio.voice import PAD, PEAK, SAMPLE_RATE, estimate_f0
from aistudio.espeak import EspeakVoice, find_voice, languages, variants


def energy_onsets(x, sr, gap=0.12, floor_db=30):
    "Times (s) where 10 ms frame energy rises above (max - floor_db) after at least `gap` s below it."
    n = int(0.01 * sr); e = 10 * np.log10(np.mean(x[:len(x) // n * n].reshape(-1, n).astype(float) ** 2, axis=1) + 1e-12)
    on = e > e.max() - floor_db; out, quiet = [], gap
    for k, v in enumerate(on):
        if v and quiet >= gap: out.append(k * 0.01)
        quiet = 0 if v else quiet + 0.01
    return out


@pytest.fixture(scope='module')
def en(): return EspeakVoice.from_pretrained()


@pytest.mark.parametrize('lang,text', [
    ('en-us', 'One. Two. Three. Keep going. Pick it up. Seven.'),
    ('fr', 'Bonjour. Toujours. Quatre. Le pain est bon.'),
    ('de', 'Guten Tag. Kaffee. Danke schön. Tschüss.'),
])
def test_word_onsets_match_energy_onsets(lang, text):
    r = EspeakVoice.from_pretrained(lang)(text)
    on = energy_onsets(r.audio, r.sample_rate)
    sentences = text.count('.')
    assert len(on) == sentences, on          # one burst of sound per sentence: the pauses are real
    firsts = [w for k, w in enumerate(r.words) if k == 0 or r.words[k - 1].text.endswith('.')]
    assert len(firsts) == sentences
    errs = [abs(w.start - o) for w, o in zip(firsts, on)]
    print(lang, 'onset errors (ms):', [round(1000 * e) for e in errs])
    assert max(errs) < 0.05
    # every word ends before the next starts, and no word runs past the audio
    assert all(a.start < a.end <= b.start for a, b in zip(r.words, r.words[1:])) and r.words[-1].end <= r.duration


@pytest.mark.parametrize('lang,text', [('fr', "Il fait très beau aujourd'hui à Paris."), ('de', 'Die Straße ist heute sehr ruhig.'),
                                       ('ru', 'Сегодня очень хорошая погода.')])
def test_other_languages_produce_speech(lang, text):
    r = EspeakVoice.from_pretrained(lang)(text)
    x = r.audio
    assert r.sample_rate == SAMPLE_RATE and x.dtype == np.float32 and np.isfinite(x).all()
    assert 0.3 < np.abs(x).max() <= PEAK + 1e-6
    f0 = estimate_f0(x, SAMPLE_RATE)
    assert 70 < f0 < 300, f0                                  # voiced, at a speaking pitch
    assert len(r.words) == len(text.split()) and r.duration > 0.15 * len(r.words)
    n = int(0.02 * SAMPLE_RATE); e = np.sqrt(np.mean(x[:len(x) // n * n].reshape(-1, n) ** 2, axis=1))
    assert (e > 0.1 * e.max()).mean() > 0.4                   # mostly sound, not silence


def test_languages_and_errors(en):
    assert len(languages()) > 100 and {'fr-fr', 'de', 'en-us'} <= set(languages())
    assert find_voice('French (France)') == find_voice('fr') == 'roa/fr'
    with pytest.raises(InputError, match='such as'): EspeakVoice.from_pretrained('zz-nowhere')
    with pytest.raises(InputError, match='no variant'): EspeakVoice('en+nosuch')
    for bad in ('?!? ...', '🙂🙂 !!', '  '):
        with pytest.raises(InputError): en(bad)
    with pytest.raises(InputError, match='voice.pitch'): en('Hi.', voice=Voice(pitch=40))
    p = en.params(); assert p['engine'] == 'espeak-ng' and '/' not in json.dumps(p).replace('gmw/', '')


def test_pad_peak_and_unsayable_words(en):
    r = en('Hello عاصفة world!')
    assert [w.text for w in r.words] == ['Hello عاصفة', 'world!']    # Arabic script is skipped by an English voice
    k = int(PAD * SAMPLE_RATE)
    assert np.abs(r.audio[:k]).max() == 0 and np.abs(r.audio[-k:]).max() == 0
    assert np.abs(r.audio).max() <= PEAK + 1e-6 and r.words[0].start >= PAD


def test_voice_transforms(en):
    text = 'The lighthouse keeper walks along the shore every morning.'
    base = en(text)
    up = en(text, voice=Voice(pitch=5))
    ratio = estimate_f0(up.audio, SAMPLE_RATE) / estimate_f0(base.audio, SAMPLE_RATE)
    print('f0 ratio for +5 semitones:', round(ratio, 3))
    assert abs(ratio / 2 ** (5 / 12) - 1) < 0.06
    slow = en(text, voice=Voice(tempo=0.8))
    d = (slow.duration - 2 * PAD) / (base.duration - 2 * PAD)
    print('duration ratio at tempo 0.8:', round(d, 3))
    assert abs(d - 1 / 0.8) < 0.03
    assert abs(slow.words[-1].start - PAD - (base.words[-1].start - PAD) / 0.8) < 0.03   # timings follow the tempo
    f3 = en(text, voice=Voice(preset='f3'))                   # a female variant: higher pitch
    assert estimate_f0(f3.audio, SAMPLE_RATE) > 1.3 * estimate_f0(base.audio, SAMPLE_RATE)
    loud, quiet = en(text, emotion='anger'), en(text, parenthetical='whispering')
    rms = lambda x: np.sqrt(np.mean(x ** 2))
    assert rms(loud.audio) > rms(quiet.audio) * 2


def test_threads_are_serialised():
    """The library is one global synthesiser: concurrent calls must give what sequential calls give. (eSpeak's pitch
    flutter carries over from call to call, so repeated calls differ by a few samples: compare within 5 ms.)"""
    jobs = [('en-us', 'The storm is coming.'), ('fr', 'La tempête arrive.'), ('de', 'Der Sturm kommt.'), ('es', 'La tormenta llega.')] * 2
    voices = {l: EspeakVoice(l) for l, _ in jobs}
    seq = [voices[l](t) for l, t in jobs]
    with ThreadPoolExecutor(4) as ex: par = list(ex.map(lambda j: voices[j[0]](j[1]), jobs))
    worst = 0.0
    for a, b in zip(seq, par):
        assert [w.text for w in a.words] == [w.text for w in b.words]
        worst = max([worst, abs(a.duration - b.duration)] + [abs(x.start - y.start) for x, y in zip(a.words, b.words)])
        n = min(len(a.audio), len(b.audio))
        bands = lambda x: np.log10(np.add.reduceat(np.abs(np.fft.rfft(x[:n])) ** 2, np.linspace(0, n // 6, 81).astype(int)[:-1]) + 1e-9)
        assert np.corrcoef(bands(a.audio), bands(b.audio))[0, 1] > 0.97   # the same spectrum (0-8 kHz), not another thread's line
    print('largest timing difference sequential vs threaded (ms):', round(1000 * worst, 1))
    assert worst < 0.005


def test_progress_callback(en):
    calls = []
    en('One more time.', callback=lambda i, n: calls.append((i, n)))
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)

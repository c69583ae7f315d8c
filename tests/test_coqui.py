"Tests for aistudio.coqui: the Coqui TTS voice backend, with tiny random-weight VITS models built here (no downloads). Needs the `coqui` extra."
import sys
import numpy as np
import pytest
from aistudio.core import BackendError, InputError, MissingExtraError
from aistudio.film import Voice
from aistudio.media import write_wav
from aistudio.voice import PAD, PEAK, SAMPLE_RATE, active_rms, estimate_f0

from aistudio.coqui import CoquiVoice, assign_groups, model_dir, reference_audio, tiny_vits, token_groups


@pytest.fixture(scope='module')
def tiny(tmp_path_factory): return tiny_vits(tmp_path_factory.mktemp('coqui') / 'tiny')

@pytest.fixture(scope='module')
def cv(tiny): return CoquiVoice.from_pretrained(tiny)


def test_output_contract(cv):
    r = cv("Hello there, old friend. It is late!", voice=Voice(pitch=2.0, formant=1.05), emotion='joy')
    pad = int(PAD * SAMPLE_RATE)
    assert r.sample_rate == 48000 and r.audio.dtype == np.float32 and r.audio.ndim == 1
    assert np.isfinite(r.audio).all()
    assert np.abs(r.audio).max() <= PEAK + 1e-6                     # never above -1 dBFS
    assert not r.audio[:pad].any() and not r.audio[-pad:].any()     # 50 ms of silence at each end
    assert np.abs(r.audio[pad:-pad]).max() > 0.05                   # and sound between them
    assert r.duration == pytest.approx(len(r.audio) / 48000, abs=1e-4)
    level = 20 * np.log10(active_rms(r.audio, 48000))               # -20 dB RMS + joy's 1 dB, unless the peak limit holds it lower
    assert -27 < level < -18, level


def test_words_timed_in_order_within_audio(cv):
    r = cv("Hello there, old friend. It is 1990!")
    assert [w.text for w in r.words] == ['Hello', 'there,', 'old', 'friend.', 'It', 'is', '1990!']
    assert r.words[0].start >= PAD - 1e-3 and r.words[-1].end <= r.duration - PAD + 1e-3
    for a, b in zip(r.words, r.words[1:]): assert a.start < a.end <= b.start
    spoken = sum(w.end - w.start for w in r.words)
    assert spoken > 0.5 * (r.duration - 2 * PAD), spoken             # words cover most of the line, not a sliver of it


def test_word_spans_follow_letter_count(cv):
    # VITS gives every token (each letter and the blank between letters) at least one whole frame of 256 samples
    # at 22.05 kHz, so a word of L letters lasts at least 2L - 1 frames.
    r = cv("A extraordinarily long word, a.")
    assert [w.text for w in r.words] == ['A', 'extraordinarily', 'long', 'word,', 'a.']
    for w, letters in zip(r.words, [1, 15, 4, 4, 1]):
        assert w.end - w.start >= (2 * letters - 1) * 256 / 22050 - 2e-3, (w, letters)


def test_word_spans_match_model_durations(cv):
    # recompute the words' frames from the model's own durations (same seed, same noise) and compare
    import torch
    text, seed = "Quiet rooms hold long echoes.", 7
    r = cv(text, seed=seed)
    m = cv._model
    ids = m.tokenizer.text_to_ids(text)
    aux = {'x_lengths': torch.tensor([len(ids)]), 'd_vectors': None, 'speaker_ids': None, 'language_ids': None, 'durations': None}
    with torch.random.fork_rng(devices=[]), torch.inference_mode():
        torch.manual_seed(seed); dur = m.inference(torch.tensor([ids]), aux_input=aux)['durations'][0, 0].numpy()
    chars = [m.tokenizer.characters.id_to_char(i) for i in ids]
    starts, ends, pos, inword = [], [], 0, False
    for c, n in zip(chars, dur):
        if c.isalpha():
            if not inword: starts.append(pos); inword = True
            ends.append(pos + n) if len(ends) < len(starts) else ends.__setitem__(-1, pos + n)
        elif c == ' ': inword = False
        pos += n
    hop = 256 / 22050
    assert len(starts) == len(r.words) == 5
    for w, a, b in zip(r.words, starts, ends):
        assert w.start == pytest.approx(PAD + a * hop, abs=2e-3) and w.end == pytest.approx(PAD + b * hop, abs=2e-3), (w, a, b)


def test_deterministic_per_seed(cv):
    a, b, c = cv("One two three.", seed=3), cv("One two three.", seed=3), cv("One two three.", seed=4)
    assert np.array_equal(a.audio, b.audio) and [w.__dict__ for w in a.words] == [w.__dict__ for w in b.words]
    assert not np.array_equal(a.audio, c.audio)


def test_global_torch_rng_untouched(cv):
    import torch
    torch.manual_seed(5); want = torch.rand(3)
    torch.manual_seed(5); cv("Hi there.", seed=9); got = torch.rand(3)
    assert torch.equal(want, got)


def test_rate_goes_to_the_model(cv):
    a, slow = cv("One two three four.", seed=1), cv("One two three four.", seed=1, rate=0.5)
    ratio = (slow.duration - 2 * PAD) / (a.duration - 2 * PAD)
    print(f"rate 0.5 -> duration x{ratio:.2f}")
    assert 1.8 < ratio < 2.2, ratio            # a little under 2: VITS rounds each token's duration up to whole frames
    starts = np.array([w.start - PAD for w in a.words]); slow_starts = np.array([w.start - PAD for w in slow.words])
    assert np.all(slow_starts[1:] > 1.5 * starts[1:]), (starts, slow_starts)


def test_pitch_shift_moves_spectrum(cv):
    # random weights give noise-like speech with no steady f0, so measure the spectral centroid instead
    def centroid(x):
        s = np.abs(np.fft.rfft(x)); f = np.fft.rfftfreq(len(x), 1 / 48000)
        return float((s * f).sum() / s.sum())
    base, up = cv("Sing it high.", seed=2), cv("Sing it high.", seed=2, voice=Voice(pitch=7.0, formant=1.3))
    assert centroid(up.audio) > 1.1 * centroid(base.audio), (centroid(base.audio), centroid(up.audio))


def test_speakers_by_preset(tmp_path):
    duo = CoquiVoice.from_pretrained(tiny_vits(tmp_path / 'duo', speakers=['ana', 'ben']))
    assert duo.speakers() == ['ana', 'ben'] and duo.speaker == 'ana'
    ana, ben = duo("Good morning.", voice=Voice(preset='ana')), duo("Good morning.", voice=Voice(preset='ben'))
    assert not np.array_equal(ana.audio, ben.audio)
    assert np.array_equal(duo("Good morning.").audio, ana.audio)      # 'default' is the backend's speaker
    assert CoquiVoice.from_pretrained(duo.folder, speaker='ben')("Good morning.").audio.tobytes() == ben.audio.tobytes()
    with pytest.raises(InputError, match='ana, ben'): duo("Hi.", voice=Voice(preset='zed'))
    with pytest.raises(InputError, match='no speaker'): CoquiVoice.from_pretrained(duo.folder, speaker='zed')


def test_progress_callback(cv):
    calls = []
    cv("Hi.", callback=lambda i, n: calls.append((i, n)))
    assert calls == [(0, 2), (1, 2), (2, 2)]


def test_params_identify_model_not_path(cv, tmp_path):
    p = cv.params()
    assert p['model'] == 'vits' and p['sample_rate'] == 48000 and len(p['checkpoint_sha256']) == 64
    assert str(cv.folder) not in repr(p)
    other = CoquiVoice.from_pretrained(tiny_vits(tmp_path / 'other', seed=1))
    assert other.params()['checkpoint_sha256'] != p['checkpoint_sha256']


def test_sample_refused_by_vits(cv):
    with pytest.raises(InputError, match='cannot imitate'): cv("Hi.", voice=Voice(sample='me.wav', consent='I agree.'))


@pytest.mark.parametrize('kw, msg', [
    (dict(voice=Voice(pitch=20)), 'voice.pitch'), (dict(voice=Voice(formant=2.0)), 'voice.formant'),
    (dict(rate=5), 'rate'), (dict(seed=-1), 'seed'), (dict(emotion='smug'), 'emotion'),
    (dict(voice=Voice(effects=['nosuchfx'])), 'nosuchfx')])
def test_bad_arguments(cv, kw, msg):
    with pytest.raises(InputError, match=msg): cv("Hi there.", **kw)


@pytest.mark.parametrize('text', ['', '   ', '?! ...', 'x' * 9000])
def test_bad_text(cv, text):
    with pytest.raises(InputError): cv(text)


def test_model_folders(tmp_path, tiny, monkeypatch):
    with pytest.raises(InputError, match='no Coqui model folder'): CoquiVoice.from_pretrained(tmp_path / 'nowhere')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(InputError, match='config.json'): CoquiVoice.from_pretrained(tmp_path / 'empty')
    taco = tmp_path / 'taco'; taco.mkdir()
    (taco / 'config.json').write_text('{"model": "tacotron2"}'); (taco / 'model.pth').write_bytes(b'')
    with pytest.raises(InputError, match='vocoder'): CoquiVoice.from_pretrained(taco)
    bad = tmp_path / 'bad'; bad.mkdir()
    (bad / 'config.json').write_text((tiny / 'config.json').read_text()); (bad / 'model.pth').write_bytes(b'not a checkpoint')
    with pytest.raises(BackendError, match='could not load'): CoquiVoice.from_pretrained(bad)
    monkeypatch.setenv('TTS_HOME', str(tmp_path / 'home'))
    with pytest.raises(BackendError) as e: CoquiVoice.from_pretrained('tts_models/en/ljspeech/vits')
    assert str(tmp_path / 'home' / 'tts' / 'tts_models--en--ljspeech--vits') in str(e.value) and 'does not download' in str(e.value)
    # the same name, once its folder is there, loads from it
    home = tmp_path / 'home' / 'tts' / 'tts_models--en--tiny--vits'
    tiny_vits(home)
    assert model_dir('tts_models/en/tiny/vits') == (home, home / 'model.pth')
    assert CoquiVoice.from_pretrained('tts_models/en/tiny/vits')("Hi.").duration > 0.1


def test_missing_extra(monkeypatch, tmp_path):
    for m in [m for m in sys.modules if m == 'TTS' or m.startswith('TTS.')]: monkeypatch.delitem(sys.modules, m)
    monkeypatch.setitem(sys.modules, 'TTS', None)          # `import TTS` now raises ImportError
    with pytest.raises(MissingExtraError, match=r"aistudio\[coqui\]"): CoquiVoice.from_pretrained(tmp_path)


def test_token_groups_and_assignment():
    toks = ['<BLNK>', 'h', '<BLNK>', 'i', '<BLNK>', ',', ' ', 'y', 'o', 'u', '!', '<BLNK>']
    g = token_groups(toks, [1, 2, 1, 3, 1, 4, 2, 1, 1, 1, 5, 1], ',!')
    assert g == [(1.0, 7.0), (14.0, 17.0)]
    assert assign_groups(['hi,', 'you!'], g, None) == g
    assert assign_groups(['1990'], g, lambda w: 2) == [(1.0, 17.0)]
    assert assign_groups(['a', 'b', 'c'], g, lambda w: 1) is None


def _voiced(seconds, sr, f0=120.0):
    "A voice-like test signal: harmonics of f0 under a 4 Hz syllable envelope."
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 12))
    return (0.25 * x / np.abs(x).max() * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def test_reference_audio_for_xtts(tmp_path):
    write_wav(tmp_path / 'me.wav', _voiced(5.0, 44100), 44100)
    ref = reference_audio(tmp_path / 'me.wav')
    assert ref.dtype == np.float32 and len(ref) == pytest.approx(5.0 * 22050, abs=50)
    assert estimate_f0(ref, 22050) == pytest.approx(120.0, rel=0.03)     # resampled, not re-pitched
    assert len(reference_audio(tmp_path / 'me.wav', max_seconds=2.0)) == 2 * 22050
    write_wav(tmp_path / 'short.wav', _voiced(1.5, 44100), 44100)
    with pytest.raises(InputError, match='at least'): reference_audio(tmp_path / 'short.wav')

"""Tests of the OpenAI-compatible speech backend against a real HTTP server on 127.0.0.1 (no mocks).

The server answers each POST with the next item of its script (the last repeats): a synthesised WAV with one vowel burst
per word (pauses after punctuation), raw PCM, an OpenAI-style error, a non-audio body or a delay."""
import io, json, socket, threading, time, wave
from scripted_server import ScriptedServer, error, raw
import numpy as np
import pytest
from aistudio.core import BackendError, InputError
from aistudio.film import Voice
from aistudio.voice import PAD, PEAK, SAMPLE_RATE, estimate_f0
from aistudio.voicefx import vowel_tone
from aistudio.speechapi import OpenAISpeech, decode_wav, estimate_spans

SR = 24000
KEY = 'sk-test-0123456789abcdef'


def to_wav(x, sr=SR, width=2, ch=1):
    b = io.BytesIO()
    with wave.open(b, 'wb') as w:
        w.setnchannels(ch); w.setsampwidth(width); w.setframerate(sr)
        q = np.round(np.clip(x, -1, 1) * (2 ** (8 * width - 1) - 1)).astype({1: np.uint8, 2: '<i2', 4: '<i4'}[width])
        if width == 1: q = (np.round(np.clip(x, -1, 1) * 127) + 128).astype(np.uint8)
        w.writeframes(np.repeat(q, ch).tobytes())
    return b.getvalue()


def bursts(text, sr=SR, lead=0.1, pause=0.25):
    "Synthetic speech: one vowel burst per word (length by letters), a pause after punctuation. Returns audio and onsets (s)."
    parts, onsets, t = [np.zeros(int(lead * sr), np.float32)], [], lead
    for k, w in enumerate(text.split()):
        b = vowel_tone(sr, 0.12 + 0.05 * len(w), 110 + 10 * k, syllables=1)
        onsets.append(t); parts.append(b); t += len(b) / sr
        if w[-1] in ',.!?': parts.append(np.zeros(int(pause * sr), np.float32)); t += pause
    return np.concatenate(parts), onsets


def speech(delay=0.0): return {'kind': 'speech', 'delay': delay}


class SpeechServer(ScriptedServer):
    routes = ('/v1/audio/speech',)
    def answer(self, item, req):
        time.sleep(item['delay'])
        x, _ = bursts(req['body']['input'])
        if req['body'].get('response_format') == 'pcm': return (x * 32767).astype('<i2').tobytes(), 'audio/pcm'
        return to_wav(x), 'audio/wav'


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv('MY_TTS_KEY', KEY); return KEY


def tts(url, **kw): return OpenAISpeech('tts-1', base_url=url, api_key_env='MY_TTS_KEY', backoff=0.01, **kw)


def test_speaks_and_times_words(key):
    text = 'Well, here we are. At last, the sea!'
    with SpeechServer(speech()) as srv:
        r = tts(srv.url)(text)
        req = srv.requests[0]
    assert req['body'] == {'model': 'tts-1', 'input': text, 'voice': 'alloy', 'response_format': 'wav'}
    assert req['headers']['authorization'] == f'Bearer {KEY}'
    assert r.sample_rate == SAMPLE_RATE and r.audio.dtype == np.float32 and np.isfinite(r.audio).all()
    assert np.abs(r.audio).max() <= PEAK + 1e-6
    k = int(PAD * SAMPLE_RATE); assert np.abs(r.audio[:k]).max() == 0 and np.abs(r.audio[-k:]).max() == 0
    _, onsets = bursts(text)
    assert [w.text for w in r.words] == text.split()
    errs = [abs(w.start - PAD - o) for w, o in zip(r.words, onsets)]
    after_pause = [e for k, e in enumerate(errs) if k == 0 or text.split()[k - 1][-1] in ',.!?']
    print('onset errors after pauses (ms):', [round(1000 * e) for e in after_pause], 'all words:', [round(1000 * e) for e in errs])
    assert max(after_pause) < 0.03          # words after a pause start where the sound does
    assert max(errs) < 0.15                 # words inside a phrase: proportional estimates
    assert all(a.start < a.end <= b.start for a, b in zip(r.words, r.words[1:]))


def test_voice_transforms_and_mapping(key):
    with SpeechServer(speech()) as srv:
        s = tts(srv.url, voices={'narrator': 'onyx'})
        base = s('Hello there, friend.')
        up = s('Hello there, friend.', voice=Voice(preset='narrator', pitch=4, tempo=1.25))
        s('Hello.', voice=Voice(preset='af_bella'))
        voices = [q['body']['voice'] for q in srv.requests]
    assert voices == ['alloy', 'onyx', 'af_bella']
    ratio = estimate_f0(up.audio, SAMPLE_RATE) / estimate_f0(base.audio, SAMPLE_RATE)
    print('f0 ratio for +4 semitones:', round(ratio, 3))
    assert abs(ratio / 2 ** (4 / 12) - 1) < 0.06
    assert abs((up.duration - 2 * PAD) * 1.25 - (base.duration - 2 * PAD)) < 0.02
    with pytest.raises(InputError, match='plain name'): s('Hi.', voice=Voice(preset='x; rm -rf'))


def test_pcm_and_wav_variants(key):
    with SpeechServer(speech()) as srv:
        r = tts(srv.url, response_format='pcm')('One, two.')
        assert srv.requests[0]['body']['response_format'] == 'pcm'
    assert len(r.words) == 2 and np.abs(r.audio).max() > 0.3
    x, _ = bursts('a b c')
    for width, ch in ((1, 1), (2, 2), (4, 1)):
        y, sr = decode_wav(to_wav(x, SR, width, ch))
        assert sr == SR and len(y) == len(x) and np.max(np.abs(y - x)) < (0.02 if width == 1 else 1e-4)
    f = io.BytesIO(); f.write(b'RIFF\xff\xff\xff\xffWAVEfmt ' + (16).to_bytes(4, 'little'))
    f.write((3).to_bytes(2, 'little') + (1).to_bytes(2, 'little') + SR.to_bytes(4, 'little') + (4 * SR).to_bytes(4, 'little') + (4).to_bytes(2, 'little') + (32).to_bytes(2, 'little'))
    f.write(b'data\xff\xff\xff\xff' + x.astype('<f4').tobytes())   # a streamed float WAV: sizes unknown
    y, sr = decode_wav(f.getvalue()); assert np.array_equal(y, x)


def test_401_names_the_variable_and_hides_the_key(key):
    with SpeechServer(error(401, f'Incorrect API key provided: {KEY}')) as srv:
        s = tts(srv.url)
        with pytest.raises(BackendError) as e: s('Hello.')
        assert len(srv.requests) == 1          # not retried
    assert 'MY_TTS_KEY' in str(e.value) and KEY not in str(e.value)
    assert KEY not in repr(s) and KEY not in json.dumps(s.params()) and 'MY_TTS_KEY' not in json.dumps(s.params())


def test_5xx_retried_then_ok_or_error(key):
    with SpeechServer(error(503), error(500), speech()) as srv:
        r = tts(srv.url, retries=2)('Back again.')
        assert len(srv.requests) == 3 and len(r.words) == 2
    with SpeechServer(error(502, f'upstream said {KEY}')) as srv:
        with pytest.raises(BackendError, match='after 3 attempts') as e: tts(srv.url, retries=2)('Hello.')
        assert len(srv.requests) == 3 and KEY not in str(e.value)
    with SpeechServer(error(400, 'bad voice')) as srv:
        with pytest.raises(BackendError, match='400 bad voice'): tts(srv.url)('Hello.')
        assert len(srv.requests) == 1


def test_timeout_and_unreachable(key):
    with SpeechServer(speech(delay=1.0)) as srv:
        t0 = time.time()
        with pytest.raises(BackendError, match='timed out'): tts(srv.url, timeout=0.2, retries=1)('Hello.')
        assert time.time() - t0 < 1.5 and len(srv.requests) == 2
    with socket.socket() as so:
        so.bind(('127.0.0.1', 0)); port = so.getsockname()[1]
    with pytest.raises(BackendError, match='failed after 1 attempts'): tts(f'http://127.0.0.1:{port}/v1', retries=0)('Hello.')


def test_non_audio_and_silent_answers(key):
    with SpeechServer(raw(b'{"ok": true}', 'application/json')) as srv:
        with pytest.raises(BackendError, match='did not return audio'): tts(srv.url)('Hello.')
    with SpeechServer(raw(b'<html>gateway</html>', 'audio/wav')) as srv:   # lies about its type
        with pytest.raises(BackendError, match='did not return audio'): tts(srv.url)('Hello.')
    with SpeechServer(raw(to_wav(np.zeros(SR, np.float32)), 'audio/wav')) as srv:
        with pytest.raises(BackendError, match='silence'): tts(srv.url)('Hello.')


def test_settings_are_checked(key):
    for kw in ({'base_url': 'ftp://x/v1'}, {'base_url': 'http://user:pw@host/v1'}, {'api_key_env': 'MY KEY'},
               {'voice': 'a b'}, {'response_format': 'mp3'}, {'timeout': 0}):
        with pytest.raises(InputError): OpenAISpeech('tts-1', **kw)
    with pytest.raises(TypeError): OpenAISpeech('tts-1', api_key=KEY)   # the key is never a parameter
    with pytest.raises(InputError): OpenAISpeech('tts-1')('🙂 !!')


def test_estimate_spans_many_pauses():
    text = 'one, two, three, four, five, six, seven, eight.'
    x, onsets = bursts(text)
    sp = estimate_spans(text.split(), x, SR)
    errs = [abs(s / SR - o) for (s, _), o in zip(sp, onsets)]
    print('estimate_spans onset errors (ms):', [round(1000 * e) for e in errs])
    assert max(errs) < 0.03

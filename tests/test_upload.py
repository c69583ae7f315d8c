"Voice upload: reading samples in several formats and rates, refusing unusable ones, matching a known transform back."
import subprocess
import numpy as np
import pytest
from aistudio.core import InputError
from aistudio.film import Voice
from aistudio.media import ffmpeg_exe, write_wav
from aistudio.upload import read_sample, check_sample, voice_from_sample
from aistudio.voice import PiperVoice, transform_voice

CONSENT = 'I, Test Speaker, agree to this recording being used for this film.'


@pytest.fixture(scope='module')
def tts():
    return PiperVoice.from_pretrained()


@pytest.fixture(scope='module')
def speech(tts):
    "Piper reading text unlike the matcher's reference, another seed: 48 kHz mono."
    return tts('The harbour lights came on one by one. I counted them from the window, waiting for your boat. '
               'It was late, and the wind had turned cold.', voice=Voice(), seed=5).audio


def ffmpeg(*args):
    subprocess.run([ffmpeg_exe(), '-hide_banner', '-loglevel', 'error', '-y', *map(str, args)], check=True)


@pytest.mark.slow
@pytest.mark.parametrize('pitch,formant', [(4.0, 1.1), (-3.0, 0.9)])
def test_matches_known_transform(tmp_path, tts, speech, pitch, formant):
    write_wav(tmp_path / 's.wav', transform_voice(speech, 48000, pitch, formant), 48000)
    v = voice_from_sample(tmp_path / 's.wav', consent=CONSENT, tts=tts)
    print(pitch, formant, '->', v.pitch, v.formant)
    assert abs(v.pitch - pitch) <= 1.5 and abs(v.formant - formant) <= 0.07
    assert v.sample == str(tmp_path / 's.wav') and v.consent == CONSENT and v.tempo == 1.0


@pytest.mark.slow
def test_8k_mono_and_96k_stereo(tmp_path, tts, speech):
    write_wav(tmp_path / 's.wav', transform_voice(speech, 48000, 2.0, 1.05), 48000)
    ffmpeg('-i', tmp_path / 's.wav', '-ar', 8000, '-ac', 1, tmp_path / 'n.wav')
    ffmpeg('-i', tmp_path / 's.wav', '-ar', 96000, '-ac', 2, tmp_path / 'w.flac')
    x8, sr8 = read_sample(tmp_path / 'n.wav'); x96, sr96 = read_sample(tmp_path / 'w.flac')
    assert (sr8, x8.shape[1], sr96, x96.shape[1]) == (8000, 1, 96000, 2)
    for name in ('n.wav', 'w.flac'):
        v = voice_from_sample(tmp_path / name, consent=CONSENT, tts=tts)
        print(name, v.pitch, v.formant)
        assert abs(v.pitch - 2.0) <= 1.5 and abs(v.formant - 1.05) <= 0.07


def test_m4a_and_mp3_read(tmp_path, speech):
    write_wav(tmp_path / 's.wav', speech, 48000)
    ffmpeg('-i', tmp_path / 's.wav', '-c:a', 'aac', '-b:a', '96k', tmp_path / 's.m4a')
    ffmpeg('-i', tmp_path / 's.wav', '-ar', 22050, '-f', 'mp3', tmp_path / 's.mp3')
    for name, sr in (('s.m4a', 48000), ('s.mp3', 22050)):
        x, got = read_sample(tmp_path / name)
        assert got == sr and abs(len(x) / sr - len(speech) / 48000) < 0.1
        assert len(check_sample(x, sr)) == len(x)


def test_refused(tmp_path, speech):
    sr = 48000
    write_wav(tmp_path / 'short.wav', speech[:int(2.0 * sr)], sr)
    write_wav(tmp_path / 'silent.wav', np.zeros(5 * sr, np.float32), sr)
    write_wav(tmp_path / 'clipped.wav', np.clip(10 * speech, -1, 1), sr)
    write_wav(tmp_path / 'noise.wav', 0.3 * np.random.default_rng(1).standard_normal(5 * sr).astype(np.float32), sr)
    (tmp_path / 'corrupt.wav').write_bytes(b'RIFF\x10\x00\x00\x00WAVEfmt ' + bytes(range(256)) * 20)
    (tmp_path / 'text.mp3').write_text('not audio at all\n' * 100)
    (tmp_path / 'empty.flac').write_bytes(b'')
    for name, msg in [('short.wav', 'at least 3 s'), ('silent.wav', 'silent'), ('clipped.wav', 'clipped'), ('noise.wav', 'no voice'),
                      ('corrupt.wav', 'could not be read'), ('text.mp3', 'could not be read'), ('empty.flac', 'could not be read'),
                      ('missing.wav', 'no voice sample'), ('clip.ogg', 'must be')]:
        with pytest.raises(InputError, match=msg): voice_from_sample(tmp_path / name, consent=CONSENT)
    write_wav(tmp_path / 'ok.wav', speech, sr)
    for consent in ['', '   ', None]:
        with pytest.raises(InputError, match='consent is required'): voice_from_sample(tmp_path / 'ok.wav', consent=consent)


def test_light_clipping_passes(speech):
    "A few flattened peaks are not refused; the clip detector is not fooled by a loud clean sample."
    x = speech / np.abs(speech).max()
    assert len(check_sample(x[:, None], 48000)) == len(x)
    y = np.clip(1.3 * x, -1, 1)
    from aistudio.upload import clipped_share
    print('light', clipped_share(y[:, None]), 'heavy', clipped_share(np.clip(10 * x, -1, 1)[:, None]))
    assert clipped_share(x[:, None]) < 0.001 and len(check_sample(y[:, None], 48000)) == len(y)
    assert clipped_share(np.clip(10 * x, -1, 1)[:, None]) > 0.05

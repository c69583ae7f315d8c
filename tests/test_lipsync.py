"Image lip-sync backends (aistudio.lipsync): Wav2Lip with tiny random weights, the energy fallback, the mel features, bad input."
import json
import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from aistudio.core import BackendError, InputError
from aistudio.lipsync import (EnergyLipSync, LipSyncOutput, MEL_STEP, Wav2LipBackend, audio_envelope, load_checkpoint,
                              mel_filterbank, mel_window_starts, mel_windows, melspectrogram, wav2lip_model)

W, H = 80, 96


def draw_face(w=W, h=H):
    im = Image.new('RGB', (w, h), '#304050'); d = ImageDraw.Draw(im)
    d.ellipse((8, 6, w - 8, h - 4), fill='#e0b090')
    for x in (w * 0.35, w * 0.65): d.ellipse((x - 5, h * 0.36, x + 5, h * 0.44), fill='#203040')
    d.line((w * 0.35, h * 0.72, w * 0.65, h * 0.72), fill='#b05050', width=3)
    return im


def modulated(sr=48000, seconds=1.0, rate=3.0, f0=180.0):
    "A voiced buzz whose loudness swells at `rate` Hz; returns (audio, envelope function of time)."
    t = np.arange(int(sr * seconds)) / sr
    env = lambda tt: 0.55 + 0.45 * np.sin(2 * np.pi * rate * tt)
    buzz = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    return (0.3 * buzz * env(t)).astype(np.float32), env


@pytest.fixture(scope='module')
def tiny_ckpt(tmp_path_factory):
    "A tiny random-weight Wav2Lip (base=2) saved as a .pth with its config."
    torch.manual_seed(0)
    m = wav2lip_model({'base': 2})
    with torch.no_grad():   # He init keeps the audio's signal alive through ~40 layers; non-trivial batch-norm statistics
        for mod in m.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                torch.nn.init.kaiming_normal_(mod.weight, nonlinearity='relu'); mod.bias.uniform_(-0.1, 0.1)
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5)
    p = tmp_path_factory.mktemp('w2l') / 'tiny.pth'
    torch.save({'state_dict': m.state_dict(), 'config': {'base': 2}}, p)
    return p, m


def test_wav2lip_frames_shape_upper_half_and_determinism(tiny_ckpt):
    path, _ = tiny_ckpt
    w2l = Wav2LipBackend.from_pretrained(path, device='cpu')
    face = draw_face(); f0 = np.asarray(face)
    audio, _ = modulated(48000, 1.0)
    calls = []
    for fps in (25, 30):
        out = w2l(face, audio, sample_rate=48000, fps=fps, callback=lambda d, n: calls.append((d, n)))
        assert isinstance(out, LipSyncOutput)
        assert out.frames.shape == (round(1.0 * fps), H, W, 3) and out.frames.dtype == np.uint8
        assert out.fps == fps and abs(out.duration - 1.0) < 1 / fps
        # the upper half of the face box (here the whole image) is untouched; the lower half is the model's
        assert (out.frames[:, :H // 2] == f0[:H // 2]).all()
        lower_change = np.abs(out.frames[:, H // 2 + 8:].astype(int) - f0[H // 2 + 8:]).mean()
        assert lower_change > 5, lower_change
    assert calls[-1] == (30, 30)
    pr = w2l.params()
    assert pr['checkpoint'] == 'tiny.pth' and len(pr['checkpoint_sha256']) == 64 and str(path.parent) not in str(pr)
    again = w2l(face, audio, sample_rate=48000, fps=30)
    assert np.array_equal(again.frames, out.frames)
    # the audio reaches the picture: a different line gives a different mouth
    other, _ = modulated(48000, 1.0, rate=7.0, f0=300.0)
    diff = np.abs(w2l(face, other, sample_rate=48000, fps=30).frames.astype(int) - out.frames)
    print(f'wav2lip tiny: lower-half change {lower_change:.1f} levels, audio-driven change {diff.mean():.2f} levels')
    assert diff[:, :H // 2].max() == 0 and diff[:, H // 2:].mean() > 0.05


def test_wav2lip_box_and_video_face(tiny_ckpt):
    path, _ = tiny_ckpt
    w2l = Wav2LipBackend.from_pretrained(path, device='cpu')
    big = np.full((3, 120, 160, 3), 40, np.uint8); big[1] = 80; big[2] = 120     # a 3-frame "video"
    box = (40, 10, 120, 106)
    audio, _ = modulated(16000, 0.5)
    out = w2l(big, audio, sample_rate=16000, fps=24, box=box)
    assert out.frames.shape == (12, 120, 160, 3) and out.info['box'] == box
    outside = np.ones((120, 160), bool); outside[58:106, 40:120] = False          # lower half of the box
    for i in range(12):
        assert (out.frames[i][outside] == big[i % 3][outside]).all()              # video looped, rest untouched
    assert (out.frames[:, 70:106, 40:120] != big[[i % 3 for i in range(12)], 70:106, 40:120]).any()


def test_checkpoint_formats_load_the_same(tiny_ckpt, tmp_path):
    "Original Wav2Lip training dict with module. prefix and no config, a bare state dict, and safetensors all give the same output."
    from safetensors.torch import save_file
    path, m = tiny_ckpt
    sd = m.state_dict()
    torch.save({'state_dict': {'module.' + k: v for k, v in sd.items()}, 'optimizer': {}, 'global_step': 7}, tmp_path / 'orig.pth')
    torch.save(sd, tmp_path / 'bare.pt')
    save_file(sd, tmp_path / 'w.safetensors', metadata={'config': json.dumps({'base': 2})})
    audio, _ = modulated(16000, 0.4)
    ref = Wav2LipBackend.from_pretrained(path, device='cpu')(draw_face(), audio, sample_rate=16000).frames
    for name in ('orig.pth', 'bare.pt', 'w.safetensors'):
        sd2, cfg = load_checkpoint(tmp_path / name)
        assert cfg['base'] == 2 and not any(k.startswith('module.') for k in sd2)
        got = Wav2LipBackend.from_pretrained(tmp_path / name, device='cpu')(draw_face(), audio, sample_rate=16000).frames
        assert np.array_equal(got, ref), name


def test_missing_and_corrupt_checkpoints(tiny_ckpt, tmp_path):
    path, m = tiny_ckpt
    with pytest.raises(InputError, match='nope.pth'):
        Wav2LipBackend.from_pretrained(tmp_path / 'nope.pth')
    (tmp_path / 'junk.pth').write_bytes(b'\x00not a checkpoint' * 50)
    with pytest.raises(BackendError, match='junk.pth'):
        Wav2LipBackend.from_pretrained(tmp_path / 'junk.pth')
    (tmp_path / 'junk.safetensors').write_bytes(b'{"oops": 1}' * 10)
    with pytest.raises(BackendError, match='junk.safetensors'):
        Wav2LipBackend.from_pretrained(tmp_path / 'junk.safetensors')
    sd = dict(m.state_dict()); gone = 'audio_encoder.3.conv_block.0.weight'; sd.pop(gone)
    sd['extra.weight'] = torch.zeros(1)
    torch.save({'state_dict': sd, 'config': {'base': 2}}, tmp_path / 'partial.pth')
    with pytest.raises(BackendError, match=r'1 missing keys \(audio_encoder\.3\.conv_block\.0\.weight\).*extra\.weight'):
        Wav2LipBackend.from_pretrained(tmp_path / 'partial.pth')
    torch.save({'state_dict': m.state_dict(), 'config': {'base': 3}}, tmp_path / 'wrongsize.pth')
    with pytest.raises(BackendError, match='shape mismatches'):
        Wav2LipBackend.from_pretrained(tmp_path / 'wrongsize.pth')


def test_mel_matches_wav2lip_reference():
    "The numpy features equal Wav2Lip's librosa recipe (pre-emphasis, reflect-padded STFT, Slaney mel 55-7600 Hz, -4..4)."
    import librosa   # in aistudio[dev] through coqui-tts
    from scipy import signal
    fb = librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    assert np.abs(mel_filterbank() - fb).max() < 1e-6
    x = (np.random.default_rng(1).standard_normal(16000) * 0.1).astype(np.float32)
    D = librosa.stft(y=signal.lfilter([1, -0.97], [1], x), n_fft=800, hop_length=200, win_length=800, pad_mode='reflect')
    S = 20 * np.log10(np.maximum(1e-5, fb @ np.abs(D))) - 20
    S = np.clip(8 * (S + 100) / 100 - 4, -4, 4)
    M = melspectrogram(x, 16000)
    assert M.shape == S.shape == (80, 81)
    assert np.abs(M - S).max() < 1e-4


@pytest.mark.parametrize('fps', [25, 30, 24])
def test_mel_windows_follow_a_tone_burst(fps):
    "A 1 kHz burst at 0.50-0.60 s is heard by exactly the frames whose 0.2 s window (starting at the frame's time) overlaps it."
    sr = 48000; t = np.arange(int(1.2 * sr)) / sr
    burst = np.where((t >= 0.5) & (t < 0.6), 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0) + 1e-3 * np.sin(2 * np.pi * 5 * t)
    mel = melspectrogram(burst, sr)
    assert mel.shape[1] == int(1.2 * 80) + 1
    loud = np.where(mel.max(axis=0) > 0)[0]
    assert abs(loud.min() - 40) <= 3 and abs(loud.max() - 48) <= 3, (loud.min(), loud.max())   # 0.50 s and 0.60 s at 80/s
    n = round(1.2 * fps)
    win = mel_windows(mel, n, fps)
    assert win.shape == (n, 80, MEL_STEP)
    starts = mel_window_starts(n, fps, mel.shape[1])
    assert list(starts[:4]) == [int(i * 80 / fps) for i in range(4)] and starts.max() <= mel.shape[1] - MEL_STEP
    heard = {i for i in range(n) if win[i].max() > 0}
    in_time = {i for i in range(n) if i / fps < 0.6 and i / fps + 0.2 > 0.5}          # in seconds, from the definition
    assert in_time - heard == set(), sorted(in_time - heard)
    assert all(min(abs(i / fps - 0.6), abs(i / fps + 0.2 - 0.5)) < 0.05 for i in heard - in_time), sorted(heard - in_time)
    band = np.argmax(win[round(0.45 * fps)].max(axis=1))
    fb = mel_filterbank()
    assert 900 < np.argmax(fb[band]) * 20 < 1100                                  # loudest band peaks near 1 kHz (20 Hz bins)


def test_energy_lipsync_follows_the_envelope():
    en = EnergyLipSync.from_pretrained(None)
    face = draw_face(); f0 = np.asarray(face)
    for rate, fps in ((3.0, 25), (2.0, 30)):
        audio, env = modulated(48000, 2.0, rate=rate)
        out = en(face, audio, sample_rate=48000, fps=fps)
        n = round(2.0 * fps)
        assert out.frames.shape == (n, H, W, 3) and out.frames.dtype == np.uint8
        assert (out.frames[:, :H // 2] == f0[:H // 2]).all()
        # mouth opening measured from pixels: dark pixels in the mouth area
        mouth = out.frames[:, int(H * 0.55):int(H * 0.9), int(W * 0.3):int(W * 0.7)].astype(int)
        dark = (mouth.sum(axis=3) < 200).sum(axis=(1, 2))
        truth = env((np.arange(n) + 0.5) / fps)
        r = np.corrcoef(dark, truth)[0, 1]
        print(f'energy lip-sync rate={rate} fps={fps}: r={r:.3f}, dark px {dark.min()}..{dark.max()}')
        assert r > 0.6, r
        assert dark.max() > 4 * max(1, dark.min())


def test_energy_gate_closes_mouth_in_pauses():
    sr = 16000; a = np.zeros(sr, np.float32)
    a[:sr // 2] = 0.3 * np.sin(2 * np.pi * 200 * np.arange(sr // 2) / sr)     # speech, then silence
    env = audio_envelope(a, sr, 25, 25)
    assert env[:10].min() > 0.8 and env[15:].max() == 0
    out = EnergyLipSync()(draw_face(), a, sample_rate=sr, fps=25)
    assert (out.frames[-1] == np.asarray(draw_face())).all() and (out.frames[5] != np.asarray(draw_face())).any()


@pytest.mark.parametrize('backend', ['energy', 'wav2lip'])
def test_bad_input(backend, tiny_ckpt):
    b = EnergyLipSync() if backend == 'energy' else Wav2LipBackend.from_pretrained(tiny_ckpt[0], device='cpu')
    face = draw_face(); audio, _ = modulated(16000, 0.5)
    cases = [
        (dict(face='face.png', audio=audio, sample_rate=16000), 'PIL image'),
        (dict(face=np.zeros((10, 10), np.uint8), audio=audio, sample_rate=16000), 'shape'),
        (dict(face=face, audio=np.zeros(0, np.float32), sample_rate=16000), 'empty'),
        (dict(face=face, audio=np.zeros(16000, np.float32), sample_rate=16000), 'silent'),
        (dict(face=face, audio=audio, sample_rate=100), 'sample_rate'),
        (dict(face=face, audio=audio, sample_rate=16000.0), 'sample_rate'),
        (dict(face=face, audio=np.full(16000, np.nan, np.float32), sample_rate=16000), 'NaN'),
        (dict(face=face, audio=audio, sample_rate=16000, fps=0), 'fps'),
        (dict(face=face, audio=audio, sample_rate=16000, box=(0, 0, 5, 5)), 'box'),
    ]
    for kw, msg in cases:
        with pytest.raises(InputError, match=msg):
            b(kw.pop('face'), kw.pop('audio'), **kw)

"Edge cases of aistudio.edit and aistudio.subtitle that the notebooks do not show."
import sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from aistudio import media
from aistudio.core import BackendError, InputError
from aistudio.edit import FFmpegComposer, Clip, Segment, Placement, count_frames, extract_frame, SR
from aistudio.subtitle import Cue

W, H, FPS = 160, 90, 12

@pytest.fixture(scope='module')
def comp(): return FFmpegComposer.from_pretrained(None, preset='ultrafast', crf=30)

@pytest.fixture()
def stills(tmp_path):
    out = []
    for i, c in enumerate([(200, 40, 40), (40, 40, 200)]):
        p = tmp_path / f"it's [{i}] %d;x.png"          # metacharacters in the file name too
        Image.new('RGB', (320, 180), c).save(p); out.append(p)
    return out

def test_transition_clamped_and_frames_exact(comp, stills, tmp_path):
    seg = Segment([Clip(stills[0], 2 / FPS), Clip(stills[1], 10 / FPS)], 1.0)
    out = comp.render_segment(seg, tmp_path / 'seg.mp4', width=W, height=H, fps=FPS, transition=3.0, fade=5.0)
    assert count_frames(out) == 12

def test_cues_outside_segment_are_clipped(comp, stills, tmp_path):
    seg = Segment([Clip(stills[0], 1.0)], 1.0, [Cue(0.5, 9.0, 'late'), Cue(5.0, 6.0, 'after the end')])
    out = comp.render_segment(seg, tmp_path / 'seg.mp4', width=W, height=H, fps=FPS)
    assert count_frames(out) == 12

def test_kenburns_clip_moves_and_static_clip_holds(comp, tmp_path):
    from aistudio.motion import KenBurnsMove
    g = np.zeros((180, 320, 3), np.uint8); g[..., 0] = np.linspace(0, 255, 320)[None, :].astype(np.uint8)   # a left-to-right ramp
    Image.fromarray(g).save(tmp_path / 'ramp.png')
    seg = Segment([Clip(tmp_path / 'ramp.png', 1.0, KenBurnsMove((0.3, 0.5, 1.6), (0.7, 0.5, 1.6))), Clip(tmp_path / 'ramp.png', 1.0)], 2.0)
    out = comp.render_segment(seg, tmp_path / 'kb.mp4', width=W, height=H, fps=FPS, transition=0.0, fade=0.0)
    assert count_frames(out) == 24
    red = lambda t: np.asarray(extract_frame(out, t))[..., 0].astype(float).mean()
    assert red(0.0) + 20 < red(0.9)                             # the pan right shows more of the bright right side
    assert abs(red(1.05) - red(1.9)) < 1.0                      # the static clip holds its frame

def test_mux_rejects_mismatched_segments(comp, stills, tmp_path):
    a = comp.render_segment(Segment([Clip(stills[0], 1.0)], 1.0), tmp_path / 'a.mp4', width=W, height=H, fps=FPS)
    b = comp.render_segment(Segment([Clip(stills[0], 1.0)], 1.0), tmp_path / 'b.mp4', width=W + 2, height=H, fps=FPS)
    with pytest.raises(InputError, match='does not match'): comp.mux([a, b], None, tmp_path / 'x.mp4')
    with pytest.raises(InputError, match='no segment file'): comp.mux([tmp_path / 'nope.mp4'], None, tmp_path / 'x.mp4')

def test_mux_quotes_in_paths_and_wav_audio(comp, stills, tmp_path):
    d = tmp_path / "o'brien dir"; d.mkdir()
    a = comp.render_segment(Segment([Clip(stills[0], 1.0)], 1.0), d / "seg 'one'.mp4", width=W, height=H, fps=FPS)
    t = np.arange(SR) / SR
    media.write_wav(d / 'a.wav', 0.3 * np.sin(2 * np.pi * 440 * t), SR)
    out = comp.mux([a, a], d / 'a.wav', d / 'film.mp4')
    p = media.probe(out)
    assert p['audio']['codec'] == 'aac' and abs(p['duration'] - 2.0) <= 1 / FPS

def test_mix_decodes_other_formats_and_rejects_silence(comp, tmp_path):
    t = np.arange(int(1.5 * 22050)) / 22050
    media.write_wav(tmp_path / 'v.wav', 0.4 * np.sin(2 * np.pi * 200 * t) * (np.sin(2 * np.pi * 3 * t) > 0), 22050)
    media.run_ffmpeg(['-i', tmp_path / 'v.wav', '-c:a', 'aac', tmp_path / 'v.m4a'])
    out = comp.mix([Placement(tmp_path / 'v.m4a', 0.5)], None, 3.0, tmp_path / 'mix.wav', loudness=-16)
    x, sr = media.read_wav(out)
    assert x.shape == (3 * SR, 2)
    L = media.loudness(out)
    assert abs(L['integrated'] + 16) <= 0.5 and L['true_peak'] <= -1
    media.write_wav(tmp_path / 'silence.wav', np.zeros(SR), SR)
    with pytest.raises(InputError, match='silent'): comp.mix([Placement(tmp_path / 'silence.wav', 0)], None, 2.0, tmp_path / 's.wav')
    with pytest.raises(InputError, match='negative'): comp.mix([Placement(tmp_path / 'v.wav', -1)], None, 2.0, tmp_path / 's.wav')
    with pytest.raises(InputError, match='no audio file'): comp.mix([Placement(tmp_path / 'nope.wav', 0)], None, 2.0, tmp_path / 's.wav')

def test_mix_very_hot_input_is_limited(comp, tmp_path):
    t = np.arange(2 * SR) / SR
    hot = 3.0 * np.sin(2 * np.pi * 150 * t) * (1 + np.sin(2 * np.pi * 2 * t)) / 2   # peaks far above full scale
    media.write_wav(tmp_path / 'hot.wav', np.clip(hot, -1, 1) * 0.99, SR)
    out = comp.mix([Placement(tmp_path / 'hot.wav', 0.0, gain_db=12)], None, 2.0, tmp_path / 'hot_mix.m4a', loudness=-10)
    L = media.loudness(out)
    assert abs(L['integrated'] + 10) <= 0.5 and L['true_peak'] <= -1

def test_from_pretrained_checks(comp):
    with pytest.raises(InputError, match='crf'): FFmpegComposer.from_pretrained(crf=80)
    with pytest.raises(InputError, match='does not take'): FFmpegComposer.from_pretrained(bitrate='1M')
    assert comp.params()['preset'] == 'ultrafast'

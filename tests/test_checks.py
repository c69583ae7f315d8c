"Render checks (aistudio.checks) on small films made by ffmpeg's lavfi sources, each with one planted fault."
import json
from pathlib import Path
import pytest
from aistudio import media
from aistudio.core import InputError
from aistudio.checks import check_render, merge_spans, subtract_spans, RenderReport

FPS = 24

def film(path, seconds=4.0, *, extra='', audio=None, aextra='', fps=FPS, offset=0.0):
    "A 320x180 H.264/AAC film: testsrc2 (moving) + a 440 Hz tone; `extra`/`aextra` filter picture/sound, `offset` delays the sound."
    a = seconds if audio is None else audio
    vf = f"[0:v]{extra + ',' if extra else ''}format=yuv420p[v]"
    af = f";[1:a]{aextra or 'anull'}[a]" if a else ''
    ain = ([*(['-itsoffset', offset] if offset else []), '-f', 'lavfi', '-i', f'sine=f=440:d={a}:sample_rate=48000'] if a else [])
    media.run_ffmpeg(['-f', 'lavfi', '-i', f'testsrc2=s=320x180:r={fps}:d={seconds}', *ain, '-filter_complex', vf + af,
                      '-map', '[v]', *(['-map', '[a]', '-c:a', 'aac'] if a else []), '-c:v', 'libx264', '-preset', 'veryfast', path])
    return Path(path)

@pytest.fixture(scope='module')
def good(tmp_path_factory): return film(tmp_path_factory.mktemp('checks') / 'good.mp4')

def test_spans():
    assert merge_spans([]) == []
    assert merge_spans([(2, 3), (0, 1)], gap=0.5) == [(0.0, 1.0), (2.0, 3.0)]
    assert merge_spans([(2, 3), (0, 1.6)], gap=0.5) == [(0.0, 3.0)]
    assert subtract_spans([(0, 4)], []) == [(0.0, 4.0)]
    assert subtract_spans([(0, 4)], [(-1, 1), (3, 9)]) == [(1.0, 3.0)]
    assert subtract_spans([(0, 4), (6, 7)], [(0.5, 3.8)], min_len=0.3) == [(0.5 - 0.5, 0.5), (6.0, 7.0)]
    assert subtract_spans([(0, 4)], [(0.1, 3.9)], min_len=0.2) == []

def test_good_film_is_ok(good):
    r = check_render(good, expected_duration=4.0, fps=FPS, loudness_target=-21.8, tolerance_lu=1.0)
    assert isinstance(r, RenderReport) and r.ok and r.problems == []
    assert r.frames == 96 and r.fps == FPS and r.size == (320, 180)
    assert abs(r.video_duration - 4.0) < 1e-6 and abs(r.audio_duration - 4.0) < 1e-3 and abs(r.duration - 4.0) < 0.01
    assert abs(r.drift['end']) < 1e-3 and abs(r.drift['start']) < 1e-3
    assert r.black == [] and r.frozen == []
    assert -23 < r.loudness < -20 and -18 < r.true_peak < -14 and r.lra is not None
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d['ok'] is True and d['frames'] == 96 and d['drift'] == {'end': 0.0, 'start': 0.0} and d['path'] == str(good)

def test_black_middle_second(tmp_path):
    r = check_render(film(tmp_path / 'b.mp4', extra="drawbox=enable='between(t,1.5,2.45)':c=black:t=fill"))
    assert len(r.black) == 1 and abs(r.black[0][0] - 1.5) < 0.05 and abs(r.black[0][1] - 2.46) < 0.05
    assert len(r.problems) == 1 and 'black' in r.problems[0] and '1.50' in r.problems[0]   # frozen too, but reported once
    assert check_render(r.path, allowed_black=[(1.5, 2.46)]).ok

def test_frozen_two_seconds(tmp_path):
    r = check_render(film(tmp_path / 'f.mp4', extra='loop=loop=47:size=1:start=24,trim=end_frame=96,setpts=N/24/TB'))
    assert len(r.frozen) == 1 and abs(r.frozen[0][0] - 1.0) < 0.1 and abs(r.frozen[0][1] - 3.0) < 0.1
    assert r.black == [] and len(r.problems) == 1 and 'frozen' in r.problems[0]
    assert check_render(r.path, allowed_frozen=[(1.0, 3.0)]).ok
    assert not check_render(r.path, allowed_frozen=[(1.0, 2.0)]).ok    # a second still left over: more than the 0.5 s minimum

def test_freeze_to_the_end_ends_with_the_film(tmp_path):
    r = check_render(film(tmp_path / 'h.mp4', extra='loop=loop=-1:size=1:start=48,trim=end_frame=96,setpts=N/24/TB'))
    assert len(r.frozen) == 1 and abs(r.frozen[0][1] - 4.0) < 1e-6 and not r.ok
    assert check_render(r.path, allowed_frozen=[(2.0, 4.0)]).ok

def test_audio_half_second_short(tmp_path):
    r = check_render(film(tmp_path / 's.mp4', audio=3.5))
    assert abs(r.drift['end'] + 0.5) < 0.03 and abs(r.audio_duration - 3.5) < 0.03
    assert len(r.problems) == 1 and 'ends 0.5' in r.problems[0] and 'before' in r.problems[0]

def test_audio_starting_late(tmp_path):
    r = check_render(film(tmp_path / 'l.mp4', audio=3.0, offset=0.5))
    assert abs(r.drift['start'] - 0.5) < 0.05 and any('starts' in p and 'after' in p for p in r.problems), r.problems

def test_drift_under_a_frame_is_fine(tmp_path):
    r = check_render(film(tmp_path / 'd.mp4', audio=4.0 - 0.5 / FPS))      # half a frame short
    assert -1 / FPS < r.drift['end'] < 0 and r.ok, r.problems

def test_loudness_far_from_target(good):
    r = check_render(good, loudness_target=-14)
    assert len(r.problems) == 1 and '-21.8 LUFS' in r.problems[0] and '7.8 LU' in r.problems[0]
    assert check_render(good, loudness_target=-14, tolerance_lu=8).ok

def test_true_peak_and_silence(tmp_path):
    hot = check_render(film(tmp_path / 'hot.mp4', aextra='volume=17dB'))
    assert hot.true_peak > -1 and any('true peak' in p for p in hot.problems)
    assert check_render(hot.path, max_true_peak=None).ok
    quiet = check_render(film(tmp_path / 'q.mp4', aextra='volume=0'))
    assert quiet.problems == ['the audio is silent']
    assert json.dumps(quiet.to_dict(), allow_nan=False)

def test_intended_fades_allowed(tmp_path):
    p = film(tmp_path / 'fades.mp4', extra='fade=t=in:st=0.5:d=0.5,fade=t=out:st=3.0:d=0.5')
    r = check_render(p)
    assert len(r.black) == 2 and r.black[0][0] == 0 and abs(r.black[1][1] - 4.0) < 1e-6 and not r.ok
    assert check_render(p, allowed_black=[(0, 1.0), (3.0, 4.0)]).ok
    assert not check_render(p, allowed_black=[(3.0, 4.0)]).ok

def test_duration_and_fps_expected(good):
    r = check_render(good, expected_duration=4.5, fps=25)
    assert len(r.problems) == 2 and any('96 frames' in p and '108' in p for p in r.problems) and any('25' in p for p in r.problems)
    assert check_render(good, expected_duration=4.0 + 0.4 / FPS).ok    # rounds to the same frame count

def test_no_audio(tmp_path):
    p = film(tmp_path / 'mute.mp4', audio=0)
    r = check_render(p)
    assert r.problems == ['the film has no audio stream'] and r.audio_duration is None and r.loudness is None
    assert check_render(p, expect_audio=False, loudness_target=-14).ok

def test_bad_input(good, tmp_path):
    with pytest.raises(InputError, match='no media file'): check_render(tmp_path / 'missing.mp4')
    with pytest.raises(InputError, match='start <= end'): check_render(good, allowed_frozen=[(3, 1)])
    with pytest.raises(InputError, match='pairs'): check_render(good, allowed_black=5)
    with pytest.raises(InputError, match='fps'): check_render(good, fps=0)
    with pytest.raises(InputError, match='loudness_target'): check_render(good, loudness_target=5)
    (tmp_path / 'a.wav').write_bytes(b'')
    media.write_wav(tmp_path / 'a.wav', [0.1] * 4800, 48000)
    with pytest.raises(InputError, match='no video stream'): check_render(tmp_path / 'a.wav')

def test_allowed_spans_of_a_timeline(tmp_path):
    from PIL import Image
    from aistudio.motion import KenBurnsMove
    from aistudio.timeline import Timeline, VideoClip, Transition, OutputPreset
    from aistudio.checks import allowed_spans
    Image.new('RGB', (64, 36), (90, 120, 200)).save(tmp_path / 's.png')
    s = tmp_path / 's.png'
    tl = Timeline([VideoClip('still', 2.0, s, KenBurnsMove((0.5, 0.5, 1.0), (0.5, 0.5, 1.3))),
                   VideoClip('still', 2.0, s, KenBurnsMove((0.4, 0.5, 1.2), (0.4, 0.5, 1.2)), transition=Transition('wipeleft', 0.5)),
                   VideoClip('still', 2.0, s, KenBurnsMove((0.5, 0.5, 1.0), (0.6, 0.5, 1.2)), transition=Transition('fadeblack', 1.0)),
                   VideoClip('card', 1.0, text='END', style={'scroll': True})], output=OutputPreset('16:9', 180, 24), fade_in=0, fade_out=0.2)
    black, frozen = allowed_spans(tl)
    assert black == [(2.5, 3.5), (4.5, 5.5)]            # the fadeblack overlap; the card and the film's fade out, joined
    assert frozen == [(1.5, 3.5), (4.5, 5.5)]           # the still whose move goes nowhere; the card

def test_check_timeline_on_a_render(tmp_path):
    import numpy as np
    from PIL import Image
    from aistudio.motion import KenBurnsMove
    from aistudio.timeline import Timeline, VideoClip, AudioClip, Transition, OutputPreset, render_timeline
    from aistudio.checks import check_timeline
    rng = np.random.default_rng(1)
    for k in range(2):
        Image.fromarray((rng.random((9, 16, 3)) * 255).astype(np.uint8)).resize((320, 180), Image.BICUBIC).save(tmp_path / f's{k}.png')
    media.write_wav(tmp_path / 't.wav', 0.3 * np.sin(2 * np.pi * 220 * np.arange(48000 * 4) / 48000), 48000)
    tl = Timeline([VideoClip('still', 2.0, tmp_path / 's0.png', KenBurnsMove((0.5, 0.5, 1.0), (0.4, 0.4, 1.3))),
                   VideoClip('still', 1.5, tmp_path / 's1.png', transition=Transition('fadeblack', 0.5)),
                   VideoClip('card', 1.0, text='THE END')], [AudioClip(tmp_path / 't.wav', 0.0)], output=OutputPreset('16:9', 180, 24))
    res = render_timeline(tl, tmp_path / 'f.mp4')
    r = check_timeline(tl, res.path)
    assert r.ok, r.problems
    assert r.frames == tl.frames and abs(r.loudness - tl.loudness) < 1 and r.true_peak <= -1
    bare = check_timeline(tl, res.path, allowed_black=(), allowed_frozen=())
    assert any('black' in p for p in bare.problems) and any('frozen' in p for p in bare.problems)
    tl.output = OutputPreset('16:9', 180, 25)            # a timeline the render does not match
    assert any('fps' in p for p in check_timeline(tl, res.path).problems)

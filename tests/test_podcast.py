"Dialogue scenes with talking avatars: mouths measured from the drawn frames, cuts and speakers from the decoded video."
import math
from dataclasses import replace
import numpy as np
import pytest
from aistudio.avatar import ActorDNA, audio_envelope
from aistudio.face2d import mouth_opening
from aistudio.core import InputError
from aistudio.edit import count_frames
from aistudio.media import ffmpeg_output, probe
from aistudio.podcast import (SpokenLine, dialogue_frames, podcast_film, render_dialogue_scene, scene_lines, check_lines)
from aistudio.voice import SpeechOutput, Word

FPS, SIZE = 25, (320, 180)
CAST = {'ANA': ActorDNA(name='ANA', top='#c03030', skin='#f0c8a8', hair_style='long'),
        'BEN': ActorDNA(name='BEN', top='#2050c0', skin='#8d5a34', hair_style='short')}


@pytest.fixture(scope='module')
def scene():
    "Two Piper lines, Ana then Ben, with the pipeline's 0.6 s lead-in and a gap; starts between frames on purpose."
    from aistudio.film import Voice
    from aistudio.voice import PiperVoice
    piper = PiperVoice.from_pretrained()
    a = piper("Maybe the people who built this boat never meant to come back.", seed=0)
    b = piper("Then we will build another one, a better one.", voice=Voice(pitch=-3.0), seed=1)
    lines = [SpokenLine('ANA', 0.61, a), SpokenLine('BEN', round(0.61 + a.duration + 0.47, 3), b, 'joy')]
    return lines, round(lines[1].end + 0.6, 3)


def decode(path, size):
    raw = ffmpeg_output(['-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], what='decode')
    return np.frombuffer(raw, np.uint8).reshape(-1, size[1], size[0], 3)


def share(frames, colour, tol=40):
    "Fraction of pixels of each frame within `tol` (max channel difference) of `colour`."
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.int16)
    return (np.abs(frames.astype(np.int16) - c).max(-1) <= tol).mean(axis=(1, 2))


def test_side_mouths_follow_only_their_own_lines(scene):
    lines, dur = scene
    frames = np.stack(list(dialogue_frames(lines, CAST, size=SIZE, fps=FPS, duration=dur, layout='side')))
    assert len(frames) == round(dur * FPS)
    half = SIZE[0] // 2; t = np.arange(len(frames)) / FPS
    op = {'ANA': np.array([mouth_opening(f[:, :half], CAST['ANA']) for f in frames]),
          'BEN': np.array([mouth_opening(f[:, half:], CAST['BEN']) for f in frames])}
    for ln in lines:
        k0 = math.ceil(ln.start * FPS - 1e-6)
        # the line's envelope resampled onto the scene's frame clock (the start lies between frames)
        env = audio_envelope(ln.speech.audio, ln.speech.sample_rate, 100)
        e = np.interp(t, ln.start + np.arange(len(env)) / 100, env, left=0, right=0)
        span = (t >= ln.start) & (t <= ln.end)
        r = np.corrcoef(op[ln.speaker][span], e[span])[0, 1]
        other = 'BEN' if ln.speaker == 'ANA' else 'ANA'
        print(f"{ln.speaker}: r={r:.3f} over {span.sum()} frames, open max {op[ln.speaker][span].max():.0f} px; "
              f"{other} open max during it {op[other][span].max():.0f} px")
        assert r > 0.5
        assert op[ln.speaker][span].max() >= 4
        assert op[other][span].max() == 0          # the listener's mouth stays shut
    outside = ~np.any([(t >= l.start - 0.05) & (t <= l.end + 0.1) for l in lines], axis=0)
    assert op['ANA'][outside].max() == 0 and op['BEN'][outside].max() == 0
    # the listener is alive: Ben's panel changes (head sway, blinks) while Ana speaks
    span = (t >= lines[0].start) & (t <= lines[0].end)
    moves = np.abs(np.diff(frames[span][:, :, half:].astype(np.int16), axis=0)).max(axis=(1, 2, 3))
    print(f"listener panel changes in {np.mean(moves > 0):.0%} of frames")
    assert np.mean(moves > 0) > 0.3


def test_cuts_on_each_speaker_at_line_starts(scene, tmp_path):
    lines, dur = scene
    res = render_dialogue_scene(lines, CAST, size=SIZE, fps=FPS, duration=dur, layout='cuts', out=tmp_path / 'c.mp4')
    n = round(dur * FPS)
    info = probe(res.video)
    assert info['video']['codec'] == 'h264' and (info['video']['width'], info['video']['height']) == SIZE and info['audio'] is None
    assert count_frames(res.video) == n == res.frames
    assert [p.name for p in tmp_path.iterdir()] == ['c.mp4']
    v = decode(res.video, SIZE)
    assert len(v) == n
    diff = np.abs(np.diff(v.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))
    cut_at = np.flatnonzero(diff > 8 * np.median(diff) + 2) + 1   # the first frame of each new shot
    print(f"cuts detected at frames {cut_at.tolist()}, line starts at frames {[round(l.start * FPS, 2) for l in lines]}, "
          f"diff at cuts {diff[cut_at - 1].round(1).tolist()}, median {np.median(diff):.2f}")
    assert len(cut_at) == len(lines)
    for k, ln in zip(cut_at, lines): assert abs(k - ln.start * FPS) <= 1
    assert [s for _, s in res.cuts] == [None, 'ANA', 'BEN']
    red, blue = share(v, CAST['ANA'].top), share(v, CAST['BEN'].top)
    pale, dark = share(v, CAST['ANA'].skin, 25), share(v, CAST['BEN'].skin, 25)
    t = np.arange(n) / FPS
    est = t < lines[0].start - 0.05
    assert red[est].min() > 0.03 and blue[est].min() > 0.03            # the establishing two-shot shows both
    for ln, me, you in ((lines[0], (red, pale), (blue, dark)), (lines[1], (blue, dark), (red, pale))):
        on = (t >= ln.start + 1 / FPS) & (t <= ln.end)
        print(f"{ln.speaker} close-up: own top {me[0][on].min():.3f}, own skin {me[1][on].min():.3f}, other's top {you[0][on].max():.4f}")
        assert me[0][on].min() > 0.01 and me[1][on].min() > 0.05 and you[0][on].max() < 0.005 and you[1][on].max() < 0.005
    tail = t > lines[1].end + 1 / FPS   # after the last line the camera stays on its speaker
    assert blue[tail].min() > 0.01 and red[tail].max() < 0.005


def test_background_shows_around_the_avatars(tmp_path):
    from PIL import Image
    sr = 16000; x = (0.3 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)).astype(np.float32)
    sp = SpeechOutput(x, sr, [Word('hello there', 0.1, 0.9)], 1.0)
    g = np.zeros((90, 160, 3), np.uint8); g[..., 0] = np.linspace(0, 255, 160)[None]; g[..., 1] = 200; g[..., 2] = 40
    lines = [SpokenLine('ANA', 0.2, sp), SpokenLine('BEN', 0.25, sp)]   # dual dialogue: different speakers may overlap
    res = render_dialogue_scene(lines, CAST, size=SIZE, fps=12, duration=1.5, background=Image.fromarray(g), out=tmp_path / 'b.mp4')
    v = decode(res.video, SIZE)
    assert len(v) == round(1.5 * 12) == count_frames(res.video)
    want = np.asarray(Image.fromarray(g).resize(SIZE, Image.LANCZOS), np.int16)
    top = np.abs(v[:, :20].astype(np.int16) - want[None, :20]).mean(axis=(0, 1, 3))   # the band above the heads, per column
    print(f"background error above the heads: mean {top.mean():.2f}, max column {top.max():.2f}")
    assert top.max() < 6
    assert np.abs(v[:, 60:120, 150:170].astype(np.int16) - want[None, 60:120, 150:170]).mean() < 6   # between the two heads


def test_bad_input():
    sp = SpeechOutput(np.full(16000, 0.1, np.float32), 16000, [Word('hi', 0.1, 0.9)], 1.0)
    ok = [SpokenLine('ANA', 0.5, sp)]
    kw = dict(size=(160, 96), fps=12, duration=2.0)
    frames = lambda lines, dna=CAST, **k: list(dialogue_frames(lines, dna, **{**kw, **k}))
    assert len(frames(ok)) == 24
    bad = [(lambda: frames([]), 'at least one'),
           (lambda: frames([SpokenLine('CY', 0.5, sp)]), "no ActorDNA for 'CY'"),
           (lambda: frames(ok, {'ANA': 'red'}), 'must be an ActorDNA'),
           (lambda: frames([ok[0], SpokenLine('ANA', 1.0, sp)]), 'two lines at once'),
           (lambda: frames(ok, duration=0), 'positive'),
           (lambda: frames(ok, duration=float('nan')), 'positive'),
           (lambda: frames(ok, duration=0.01), 'no frames'),
           (lambda: frames(ok, duration=1.2), "past the scene's end"),
           (lambda: frames([SpokenLine('ANA', -0.1, sp)]), 'start'),
           (lambda: frames([SpokenLine('ANA', 0.1, SpeechOutput(np.array([np.nan] * 100, np.float32), 16000, [], 1.0))]), 'NaN'),
           (lambda: frames([replace(ok[0], emotion='smug')]), 'unknown emotion'),
           (lambda: frames(ok, layout='split'), 'layout'),
           (lambda: frames(ok, size=(161, 96)), 'size'),
           (lambda: frames(ok, cast=['BEN']), 'not in the cast'),
           (lambda: frames(ok, {**CAST, **{f'X{i}': ActorDNA() for i in range(4)}}, cast=['ANA', 'BEN', 'X0', 'X1', 'X2']), 'at most 4')]
    for f, msg in bad:
        with pytest.raises(InputError, match=msg): f()


def test_scene_lines_match_the_pipeline_and_render(tmp_path):
    from aistudio.film import Line, sample_film
    from aistudio.pipeline import plan_timeline
    film = sample_film()
    sc = film.scenes[1]; sc.lines = [sc.lines[0], Line('MARA', 'A friend at this hour?', '', 'surprise')]
    sr = 16000
    def speech(secs, f):
        x = (0.3 * np.sin(2 * np.pi * f * np.arange(int(secs * sr)) / sr)).astype(np.float32)
        return SpeechOutput(x, sr, [Word('word ' * 3, 0.05, secs - 0.05)], secs)
    voices = {(0, 0): speech(1.0, 150), (1, 0): speech(2.2, 180), (1, 1): speech(1.4, 240)}
    lines, dur = scene_lines(film, 1, voices, fps=12)
    tm = plan_timeline(film, {k: v.duration for k, v in voices.items()}, 12)[1]
    assert [l.start for l in lines] == tm.line_starts and dur == tm.duration
    assert [l.speaker for l in lines] == ['STORM', 'MARA'] and lines[1].emotion == 'surprise'
    assert lines[0].end < lines[1].start and lines[1].end <= dur
    with pytest.raises(InputError, match='no voice for lines 2'): scene_lines(film, 1, {(1, 0): voices[(1, 0)]})
    with pytest.raises(InputError, match='scene_index'): scene_lines(film, 5, voices)
    res = podcast_film(film, 1, voices, tmp_path / 'p.mp4', size=(192, 108), fps=12, layout='cuts')
    assert count_frames(res.video) == round(dur * 12) == res.frames
    assert [s for _, s in res.cuts] == [None, 'STORM', 'MARA']
    assert all(abs(c - l.start) <= 1 / 12 for (c, _), l in zip(res.cuts[1:], lines))

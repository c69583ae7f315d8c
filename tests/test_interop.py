"moviepy interop (aistudio.interop): a timeline as a moviepy clip, a moviepy clip on a timeline, and the round trip."
import sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image, ImageDraw
from aistudio import media
from aistudio.core import InputError, MissingExtraError
from aistudio.motion import KenBurnsMove
from aistudio.subtitle import Cue
from aistudio.timeline import Timeline, VideoClip, AudioClip, Transition, OutputPreset
from aistudio.interop import to_moviepy, from_moviepy, kenburns_frame, _cover

import moviepy as mp     # a test dependency: the dev extra installs it
FPS = 12

def quadrants(path, colours=((220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 230, 40)), size=(480, 270)):
    "A still with four coloured quadrants (TL, TR, BL, BR) and a white grid, so position and zoom can be read off a frame."
    w, h = size
    im = Image.new('RGB', size); d = ImageDraw.Draw(im)
    for k, c in enumerate(colours):
        x, y = (k % 2) * w // 2, (k // 2) * h // 2
        d.rectangle((x, y, x + w // 2 - 1, y + h // 2 - 1), fill=c)
    for x in range(0, w, 40): d.line([(x, 0), (x, h)], fill=(255, 255, 255), width=2)
    im.save(path); return Path(path)

@pytest.fixture()
def media_dir(tmp_path):
    a = quadrants(tmp_path / 'a.png')
    b = quadrants(tmp_path / 'b.png', colours=((20, 20, 20), (240, 240, 240), (120, 60, 0), (0, 120, 120)))
    t = np.arange(48000 * 5) / 48000
    media.write_wav(tmp_path / 'tone.wav', 0.2 * np.sin(2 * np.pi * 440 * t), 48000)
    return tmp_path, a, b

def small_timeline(a, b, tone, **kw):
    "Two stills with moves and a crossfade, one card, one audio clip."
    return Timeline([VideoClip('still', 2.0, a, KenBurnsMove((0.5, 0.5, 1.0), (0.25, 0.25, 2.0))),
                     VideoClip('still', 2.0, b, KenBurnsMove((0.5, 0.5, 1.2), (0.5, 0.5, 1.0)), transition=Transition('crossfade', 0.5)),
                     VideoClip('card', 1.5, text='THE END', style={'background': '#203040'})],
                    [AudioClip(tone, 0.5, gain_db=-6, fade_in=0.2, fade_out=0.2)], output=OutputPreset('16:9', 180, FPS), **kw)

def test_to_moviepy_duration_size_and_geometry(media_dir):
    d, a, b = media_dir
    tl = small_timeline(a, b, d / 'tone.wav')
    with to_moviepy(tl) as clip:
        assert clip.duration == tl.duration == 5.0 and tuple(clip.size) == tuple(tl.output.size) == (320, 180)
        assert abs(clip.audio.duration - tl.duration) < 1e-9 and clip.fps == FPS
        end = clip.get_frame(1.49).astype(int)       # no transition yet: the first still near the end of its zoom into the top-left
        last = (2 * FPS - 1) / FPS
        with Image.open(a) as im: want = kenburns_frame(_cover(im, 320, 180, 2), tl.video[0].move, 1.49 / last, (320, 180))
        assert np.abs(end - want).mean() < 1
        tl_quarter = np.array([220, 30, 30])
        assert np.abs(end[60:120, 100:220].mean(axis=(0, 1)) - tl_quarter).max() < 30   # the red top-left quadrant fills the frame
        first = clip.get_frame(0.5).astype(int)      # zoom 1 plus a little: all four quadrants still visible
        assert first[20, 20, 0] > 150 and first[20, 300, 1] > 150 and first[160, 20, 2] > 150
        mid = clip.get_frame(1.5 + 0.25).astype(float)   # the crossfade's middle: half of each
        with Image.open(b) as im: bw = kenburns_frame(_cover(im, 320, 180, 2), tl.video[1].move, 0.25 / last, (320, 180))
        with Image.open(a) as im: aw = kenburns_frame(_cover(im, 320, 180, 2), tl.video[0].move, 1.75 / last, (320, 180))
        assert np.abs(mid - (0.5 * aw + 0.5 * bw)).mean() < 2
        card = clip.get_frame(4.0).astype(int)
        assert card[5, 5].tolist() == [32, 48, 64] and (card.sum(axis=2) > 600).any()    # card background and white text
        assert clip.get_frame(0.0).max() == 0            # the film fades in from black
        opened = list(clip._aistudio_sources)
    assert opened and all(s.reader is None for s in opened)

@pytest.mark.parametrize('kind', ['wipeleft', 'wiperight', 'wipeup', 'wipedown', 'fadeblack'])
def test_transitions(media_dir, kind):
    d, a, b = media_dir
    tl = Timeline([VideoClip('still', 2.0, a), VideoClip('still', 2.0, b, transition=Transition(kind, 1.0))],
                  output=OutputPreset('16:9', 180, FPS), fade_in=0, fade_out=0)
    with to_moviepy(tl) as clip:
        A, B = clip.get_frame(0.5).astype(int), clip.get_frame(2.5).astype(int)
        f = clip.get_frame(1.5).astype(int)                # half way through the transition
        if kind == 'fadeblack':
            assert f.mean() < 0.6 * B.mean()
            assert clip.get_frame(1.0 + 0.2).mean() < 5   # xfade's fadeblack is black a fifth of the way in
        else:
            h, w = f.shape[:2]
            new, old = {'wipeleft': (np.s_[:, w // 2 + 4:], np.s_[:, :w // 2 - 4]), 'wiperight': (np.s_[:, :w // 2 - 4], np.s_[:, w // 2 + 4:]),
                        'wipeup': (np.s_[h // 2 + 4:], np.s_[:h // 2 - 4]), 'wipedown': (np.s_[:h // 2 - 4], np.s_[h // 2 + 4:])}[kind]
            assert (f[new] == B[new]).all() and (f[old] == A[old]).all()

def test_scrolling_card_moves_like_the_renderer(tmp_path):
    from aistudio.render import draw_card
    tl = Timeline([VideoClip('card', 2.0, text='CAST\nsomeone\nsomebody else', style={'scroll': True, 'align': 'left'})],
                  output=OutputPreset('16:9', 180, FPS), fade_in=0, fade_out=0)
    tall = np.asarray(draw_card(tl.video[0].text, 320, 180, tl.video[0].style, frames=2 * FPS))
    step = (tall.shape[0] - 180) // (2 * FPS - 1)
    with to_moviepy(tl) as clip:
        for k in (0, 5, 2 * FPS - 1):
            assert (clip.get_frame(k / FPS) == tall[k * step:k * step + 180]).all()
        assert not (clip.get_frame(0) == clip.get_frame(1.0)).all()

@pytest.mark.parametrize('kind', ['crossfade', 'wipeleft', 'wiperight', 'wipeup', 'wipedown', 'fadeblack'])
def test_transitions_match_the_renderer(media_dir, kind):
    "Every frame of a 1-second transition between two moving stills, sketch against render."
    from aistudio.timeline import render_timeline
    d, a, b = media_dir
    tl = Timeline([VideoClip('still', 2.0, a, KenBurnsMove((0.5, 0.5, 1.0), (0.4, 0.6, 1.3))),
                   VideoClip('still', 2.0, b, KenBurnsMove((0.6, 0.5, 1.2), (0.5, 0.5, 1.0)), transition=Transition(kind, 1.0))],
                  output=OutputPreset('16:9', 180, FPS), fade_in=0.5, fade_out=0.5)
    res = render_timeline(tl, d / f'{kind}.mp4')
    raw = media.ffmpeg_output(['-i', res.path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 180, 320, 3).astype(int)
    assert len(frames) == tl.frames == 3 * FPS
    with to_moviepy(tl) as clip:
        diff = [np.abs(frames[k] - clip.get_frame(k / FPS).astype(int)).mean() for k in range(len(frames))]
    # fadeblack: this ffmpeg's xfade dips to Y=0 (below video black), so its dark frames are darker than the sketch's
    assert max(diff) < (15 if kind == 'fadeblack' else 10), [round(x, 1) for x in diff]

def test_from_moviepy_colour_composition(tmp_path):
    comp = mp.CompositeVideoClip([mp.ColorClip((160, 90), (255, 0, 0), duration=0.7),
                                  mp.ColorClip((80, 44), (0, 255, 0), duration=0.4).with_start(0.3).with_position('center')])
    v, a = from_moviepy(comp, tmp_path / 'w', fps=30)     # 0.7 * 30 = 20.999...: moviepy alone would write 20 frames
    comp.close()
    p = media.probe(v.source)
    assert a is None and v.kind == 'video' and v.duration == 0.7 and v.source.parent == tmp_path / 'w'
    assert (p['video']['width'], p['video']['height'], p['video']['fps']) == (160, 90, 30.0) and abs(p['duration'] - 0.7) < 1 / 30
    from aistudio.edit import count_frames, extract_frame
    assert count_frames(v.source) == 21
    early, late = np.asarray(extract_frame(v.source, 0.1)), np.asarray(extract_frame(v.source, 0.5))
    assert early[45, 80, 0] > 200 and late[45, 80, 1] > 200 and late[5, 5, 0] > 200
    assert not list((tmp_path / 'w').glob('*.part.*'))

def test_from_moviepy_bad_input(tmp_path):
    with pytest.raises(InputError, match='even'): from_moviepy(mp.ColorClip((161, 90), (0, 0, 0), duration=1), tmp_path, fps=12)
    with pytest.raises(InputError, match='fps'): from_moviepy(mp.ColorClip((160, 90), (0, 0, 0), duration=1), tmp_path)
    with pytest.raises(InputError, match='duration'): from_moviepy(mp.ColorClip((160, 90), (0, 0, 0)), tmp_path, fps=12)
    with pytest.raises(InputError, match='VideoClip'): from_moviepy('clip.mp4', tmp_path, fps=12)

def test_missing_moviepy_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'moviepy', None)
    with pytest.raises(MissingExtraError, match=r'aistudio\[moviepy\]'): from_moviepy(object(), tmp_path, fps=12)

def test_round_trip_through_a_render(media_dir):
    "A moviepy clip with sound goes onto a timeline, is rendered by aistudio, and comes back as moviepy: same length, same picture."
    from aistudio.timeline import render_timeline
    d, a, _ = media_dir
    comp = mp.CompositeVideoClip([mp.ColorClip((320, 180), (200, 30, 30), duration=1.5),
                                  mp.ColorClip((160, 90), (30, 200, 30), duration=1.5).with_position('center')])
    comp = comp.with_audio(mp.AudioClip(lambda t: 0.3 * np.sin(2 * np.pi * 330 * t), duration=1.5, fps=48000))
    v, snd = from_moviepy(comp, d / 'w', fps=FPS)
    comp.close()
    assert snd is not None and abs(media.probe(snd.source)['duration'] - 1.5) < 1e-3
    snd.start = 1.0
    tl = Timeline([VideoClip('still', 1.0, a), VideoClip(v.kind, v.duration, v.source)], [snd],
                  output=OutputPreset('16:9', 180, FPS), fade_in=0, fade_out=0)
    res = render_timeline(tl, d / 'film.mp4')
    p = media.probe(res.path)
    assert abs(p['duration'] - 2.5) < 1 / FPS and (p['video']['width'], p['video']['height']) == (320, 180)
    from aistudio.edit import extract_frame
    rendered = np.asarray(extract_frame(res.path, 1.75)).astype(int)
    assert np.abs(rendered[90, 160] - [30, 200, 30]).max() < 40 and np.abs(rendered[10, 10] - [200, 30, 30]).max() < 40
    with to_moviepy(tl) as clip:
        assert clip.duration == tl.duration == 2.5
        sketch = clip.get_frame(1.75).astype(int)
    assert np.abs(sketch - rendered).mean() < 12

"Timeline model, validation, planning and the segment renderer: edge cases, pictures at known times, audio to the sample."
import resource, subprocess, sys, threading, time
from dataclasses import replace
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from aistudio import media
from aistudio.core import BackendError, InputError
from aistudio.edit import SR, count_frames, extract_frame, mix_tracks
from aistudio.motion import KenBurnsMove
from aistudio.subtitle import Cue
from aistudio.timeline import (AudioClip, Cancelled, OutputPreset, Timeline, Transition, VideoClip, clip_layout, plan_timeline,
                               preset_names, render_timeline, validate_timeline)
from aistudio import render as R

SMALL = OutputPreset('16:9', 180, 12)
RED, BLUE = (200, 40, 40), (30, 40, 220)

@pytest.fixture(scope='module')
def media_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('media')
    Image.new('RGB', (320, 180), RED).save(d / 'red.png')
    Image.new('RGB', (320, 180), BLUE).save(d / 'blue.jpg')
    # a 3 s video: red for 1 s, green for 1 s, blue for 1 s, at 25 fps (not the output rate)
    media.run_ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=320x240:r=25:d=1', '-f', 'lavfi', '-i', 'color=c=lime:s=320x240:r=25:d=1',
                      '-f', 'lavfi', '-i', 'color=c=blue:s=320x240:r=25:d=1', '-filter_complex', '[0][1][2]concat=n=3:v=1:a=0',
                      '-pix_fmt', 'yuv420p', d / 'rgb.mp4'])
    t = np.arange(2 * SR) / SR
    media.write_wav(d / 'tone.wav', (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    return d

def mean(im, box=None): return np.asarray(im.crop(box) if box else im, dtype=float).reshape(-1, 3).mean(0)

def render(tl, out, **kw): return render_timeline(tl, out, preset='ultrafast', **kw)

# ---- model, presets, layout

def test_presets_and_sizes():
    assert {OutputPreset.parse(n).size for n in preset_names() if n.endswith('p24')} == {
        (1280, 720), (1920, 1080), (3840, 2160), (720, 1280), (1080, 1920), (2160, 3840), (720, 720), (1080, 1080), (2160, 2160)}
    assert OutputPreset.parse('9:16@1080p30') == OutputPreset('9:16', 1080, 30)
    assert OutputPreset.parse(' 1:1 @ 2160p25 ') == OutputPreset('1:1', 2160, 25)
    for bad in ('16:9@1080i', '1080p30fps', '', '21:9'):
        with pytest.raises(InputError): OutputPreset.parse(bad).size
    with pytest.raises(InputError, match='fps'): OutputPreset('16:9', 720, 0).size

def test_layout_rounds_each_clip_to_frames():
    tl = Timeline([VideoClip('card', 1.03), VideoClip('card', 1.0, transition=Transition('crossfade', 0.26))], output=OutputPreset(fps=24))
    assert clip_layout(tl) == [(0, 25, 0), (19, 43, 6)]          # 24.72 -> 25 frames, 6.24 -> 6 frames of overlap
    assert tl.frames == 43 and tl.duration == 43 / 24

# ---- validation

def test_validation_names_the_clip(media_dir, tmp_path):
    ok = [VideoClip('still', 2.0, media_dir / 'red.png'), VideoClip('video', 1.0, media_dir / 'rgb.mp4', in_point=1.0, name='rgb')]
    validate_timeline(Timeline(ok, output=SMALL))
    (tmp_path / 'junk.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(5000))
    with pytest.raises(InputError, match=r"video\[1\] 'rgb' \(video junk.mp4\).*not a readable video"):
        validate_timeline(Timeline([ok[0], replace(ok[1], source=tmp_path / 'junk.mp4')], output=SMALL))
    png = (media_dir / 'red.png').read_bytes()
    (tmp_path / 'cut.png').write_bytes(png[:len(png) // 2])
    with pytest.raises(InputError, match=r'video\[0\].*cut.png is not a readable image'):
        validate_timeline(Timeline([replace(ok[0], source=tmp_path / 'cut.png')], output=SMALL))
    with pytest.raises(InputError, match=r'video\[0\].*no file at'):
        validate_timeline(Timeline([replace(ok[0], source=tmp_path / 'gone.png')], output=SMALL))
    with pytest.raises(InputError, match='runs past the end'):
        validate_timeline(Timeline([replace(ok[1], in_point=2.8)], output=SMALL))
    with pytest.raises(InputError, match='only stills take a Ken Burns move'):
        validate_timeline(Timeline([VideoClip('card', 1.0, move=KenBurnsMove((0.5, 0.5, 1), (0.5, 0.5, 1.2)))], output=SMALL))
    with pytest.raises(InputError, match='a cut has no duration'):
        validate_timeline(Timeline([ok[0], VideoClip('card', 1.0, transition=Transition('cut', 0.5))], output=SMALL))
    with pytest.raises(InputError, match='shorter than one frame'):
        validate_timeline(Timeline([ok[0], VideoClip('card', 1.0, transition=Transition('crossfade', 0.01))], output=SMALL))
    with pytest.raises(InputError, match=r'video\[1\].*shorter than the transition into it'):
        validate_timeline(Timeline([ok[0], VideoClip('card', 0.5, transition=Transition('wipeup', 1.0))], output=SMALL))
    with pytest.raises(InputError, match='at least one video clip'): validate_timeline(Timeline([], output=SMALL))
    with pytest.raises(InputError, match='fade_in \\+ fade_out'):
        validate_timeline(Timeline([VideoClip('card', 1.0)], output=SMALL, fade_in=0.6, fade_out=0.6))
    with pytest.raises(InputError, match=r"style color must be '#rrggbb'"):
        validate_timeline(Timeline([VideoClip('card', 1.0, style={'color': 'red'})], output=SMALL))

def test_audio_validation_and_any_rate_is_fine(media_dir, tmp_path):
    v = [VideoClip('card', 3.0)]
    media.write_wav(tmp_path / 'mono22.wav', np.zeros(22050, np.float32), 22050)
    media.run_ffmpeg(['-f', 'lavfi', '-i', 'sine=f=300:d=1:sample_rate=44100', '-ac', 6, tmp_path / 'surround.m4a'])
    validate_timeline(Timeline(v, [AudioClip(tmp_path / 'mono22.wav', 0), AudioClip(tmp_path / 'surround.m4a', 1, 'effects')], output=SMALL))
    with pytest.raises(InputError, match=r'audio\[0\].*fades'):
        validate_timeline(Timeline(v, [AudioClip(media_dir / 'tone.wav', 0, fade_in=1.5, fade_out=1.0)], output=SMALL))
    with pytest.raises(InputError, match=r'audio\[0\].*past the end'):
        validate_timeline(Timeline(v, [AudioClip(media_dir / 'tone.wav', 0, in_point=5)], output=SMALL))
    with pytest.raises(InputError, match='gain_db'):
        validate_timeline(Timeline(v, [AudioClip(media_dir / 'tone.wav', 0, gain_db=float('nan'))], output=SMALL))

def test_ten_hour_timeline_validates_and_plans(media_dir):
    clips = [VideoClip('still', 4.5, media_dir / ('red.png' if k % 2 else 'blue.jpg'),
                       KenBurnsMove((0.4, 0.5, 1.0), (0.6, 0.5, 1.2)) if k % 3 else None,
                       transition=Transition(('cut', 'crossfade', 'wipeleft')[k % 3], 0.0 if k % 3 == 0 else 0.5)) for k in range(9000)]
    tl = Timeline(clips, [AudioClip(media_dir / 'tone.wav', 4.0 * k) for k in range(9000)],
                  [Cue(4.0 * k, 4.0 * k + 1.5, f'line {k}') for k in range(9000)])
    t0 = time.perf_counter()
    plan = plan_timeline(validate_timeline(tl))
    dt = time.perf_counter() - t0
    print(f'{tl.duration / 3600:.1f} h: {len(plan)} segments in {dt:.3f} s')
    assert tl.duration >= 10 * 3600 and sum(s.frames for s in plan) == tl.frames
    assert max(s.frames for s in plan) <= 2 * 20 * 24 + 4.5 * 24   # segments stay small whatever the length (the time is printed, not asserted)

# ---- planning

def test_plan_is_contiguous_and_respects_fades():
    clips = [VideoClip('card', 1.0, transition=Transition('crossfade', 0.25) if k else Transition()) for k in range(40)]
    tl = Timeline(clips, output=OutputPreset('16:9', 180, 24), fade_in=2.0, fade_out=2.0)
    plan = plan_timeline(tl, segment_seconds=1.0)
    assert [s.start for s in plan] == sorted(s.start for s in plan) and plan[0].start == 0
    assert all(a.start + a.frames == b.start for a, b in zip(plan, plan[1:])) and plan[-1].start + plan[-1].frames == tl.frames
    assert plan[0].frames >= 48 and plan[-1].frames >= 48 and plan[0].fade_in == 48 and plan[-1].fade_out == 48
    for s in plan:
        covered = np.zeros(s.frames, int)
        for p in s.pieces: covered[p.at:p.at + p.frames] += 1
        assert covered.min() == 1 and covered.max() <= 2             # every frame shown, at most two clips at once

# ---- pictures

@pytest.mark.parametrize('kind', ['cut', 'crossfade', 'fadeblack', 'wipeleft', 'wiperight', 'wipeup', 'wipedown'])
def test_transitions(media_dir, tmp_path, kind):
    tl = Timeline([VideoClip('still', 2.0, media_dir / 'red.png'),
                   VideoClip('still', 2.0, media_dir / 'blue.jpg', transition=Transition(kind, 0.0 if kind == 'cut' else 1.0))],
                  output=SMALL, fade_in=0, fade_out=0)
    out = render(tl, tmp_path / 'x.mp4').path
    assert count_frames(out) == tl.frames == (48 if kind == 'cut' else 36)
    if kind == 'cut':
        assert mean(extract_frame(out, 1.9))[0] > 180 and mean(extract_frame(out, 2.1))[2] > 180
        return
    assert mean(extract_frame(out, 0.9))[0] > 180 and mean(extract_frame(out, 2.1))[2] > 180
    mid = extract_frame(out, 1.5)
    if kind == 'crossfade': assert np.abs(mean(mid) - (np.array(RED) + BLUE) / 2).max() < 25
    elif kind == 'fadeblack': assert mean(mid).max() < 66
    else:
        new, old = {'wipeleft': ((170, 0, 320, 180), (0, 0, 150, 180)), 'wiperight': ((0, 0, 150, 180), (170, 0, 320, 180)),
                    'wipeup': ((0, 100, 320, 180), (0, 0, 320, 80)), 'wipedown': ((0, 0, 320, 80), (0, 100, 320, 180))}[kind]
        assert mean(mid, new)[2] > 180 and mean(mid, old)[0] > 180

def test_video_in_point_and_frame_rate(media_dir, tmp_path):
    tl = Timeline([VideoClip('video', 1.5, media_dir / 'rgb.mp4', in_point=0.75)], output=SMALL, fade_in=0, fade_out=0)
    out = render(tl, tmp_path / 'v.mp4').path
    assert count_frames(out) == 18
    f = [mean(extract_frame(out, t)) for t in (0.1, 0.5, 1.4)]      # source seconds 0.85 (red), 1.25 (green), 2.15 (blue)
    assert f[0][0] > 180 and f[1][1] > 180 and f[1][0] < 80 and f[2][2] > 180, f

def test_card_draws_hostile_text_literally(tmp_path):
    text = "'a:b' \\x [y]; {\\an8}top %{pts} %{n} \\N <b>"
    tl = Timeline([VideoClip('card', 1.0, text=text, style={'size': 0.06})], output=SMALL, fade_in=0, fade_out=0)
    out = render(tl, tmp_path / 'c.mp4').path
    got = np.asarray(extract_frame(out, 0.5), dtype=float)
    want = np.asarray(R.draw_card(text, 320, 180, {'size': 0.06}), dtype=float)
    assert got[60:120, 20:300].std() > 20                           # text in the middle
    assert np.abs(got - want).mean() < 4                            # exactly what Pillow drew: nothing was interpreted
    assert np.abs(got - np.asarray(R.draw_card('something else', 320, 180, {'size': 0.06}), dtype=float)).mean() > 2 * np.abs(got - want).mean()

def test_scrolling_credits_move_evenly(tmp_path):
    tl = Timeline([VideoClip('card', 2.0, text='\n'.join(f'Name {k}' for k in range(10)), style={'scroll': True, 'size': 0.08})],
                  output=SMALL, fade_in=0, fade_out=0)
    out = render(tl, tmp_path / 'roll.mp4').path
    r = subprocess.run([media.ffmpeg_exe(), '-v', 'error', '-i', str(out), '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], capture_output=True)
    f = np.frombuffer(r.stdout, np.uint8).reshape(-1, 180, 320).astype(float)
    assert len(f) == 24 and f[0].max() < 40 and f[-1].max() < 40 and f[12].max() > 200   # empty, text, empty
    tops = [np.nonzero(x.max(axis=1) > 128)[0].min() for x in f[1:9]]   # the first line's top while it crosses the frame
    step = np.diff(tops)
    assert len(set(step.tolist())) == 1 and step[0] < 0, tops        # the same whole number of pixels every frame

def test_film_fades_first_and_last_frame_black(media_dir, tmp_path):
    tl = Timeline([VideoClip('still', 2.0, media_dir / 'red.png')], output=SMALL, fade_in=0.5, fade_out=0.5)
    out = render(tl, tmp_path / 'f.mp4').path
    lum = [mean(extract_frame(out, (k + 0.5) / 12)).max() for k in range(24)]
    assert lum[0] < 5 and lum[-1] < 5 and lum[12] > 180 and lum[2] < lum[4] < lum[6]

def test_segment_splits_do_not_show(media_dir, tmp_path):
    "A long crossfaded run rendered as one segment or cut into many gives the same frames."
    move = KenBurnsMove((0.3, 0.4, 1.0), (0.7, 0.6, 1.4))
    clips = [VideoClip('still', 2.0, media_dir / ('red.png' if k % 2 else 'blue.jpg'), move if k % 2 else None,
                       transition=Transition('crossfade', 0.5) if k else Transition()) for k in range(6)]
    clips[2] = VideoClip('card', 2.0, text='middle', style={'scroll': True}, transition=Transition('wipeleft', 0.5))
    tl = Timeline(clips, output=SMALL)
    one = render(tl, tmp_path / 'one.mp4', segment_seconds=60)
    many = render(tl, tmp_path / 'many.mp4', segment_seconds=0.5)
    assert one.segments == 1 and many.segments >= 4 and count_frames(many.path) == tl.frames
    a, b = (subprocess.run([media.ffmpeg_exe(), '-v', 'error', '-i', str(p), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
                           capture_output=True).stdout for p in (one.path, many.path))
    a, b = (np.frombuffer(x, np.uint8).reshape(-1, 180, 320, 3).astype(float) for x in (a, b))
    assert a.shape == b.shape and np.abs(a - b).mean(axis=(1, 2, 3)).max() < 4

def test_burned_and_soft_subtitles(media_dir, tmp_path):
    tl = Timeline([VideoClip('still', 2.0, media_dir / 'red.png')], subtitles=[Cue(0.2, 1.8, "{\\an8}it's [10:30] %{pts}")],
                  output=SMALL, fade_in=0, fade_out=0)
    burned = render(tl, tmp_path / 'b.mp4').path
    soft = render(replace(tl, burn_subtitles=False), tmp_path / 's.mp4').path
    info = subprocess.run([media.ffmpeg_exe(), '-hide_banner', '-i', str(soft)], capture_output=True).stderr.decode()
    assert 'Subtitle: mov_text' in info and 'Subtitle' not in subprocess.run(
        [media.ffmpeg_exe(), '-hide_banner', '-i', str(burned)], capture_output=True).stderr.decode()
    b, s = (np.asarray(extract_frame(p, 1.0), dtype=float) for p in (burned, soft))
    assert np.abs(b - s)[120:].max() > 100 and np.abs(b - s)[:60].max() < 30   # drawn at the bottom, {\an8} did not move it up
    assert np.abs(s - RED).mean() < 10

# ---- audio

def _clicked(sr, lead=0.0):
    "`lead` s of silence, a click, then half a second of quiet tone (so the mix has a loudness to measure)."
    t = np.arange(sr // 2) / sr
    return np.r_[np.zeros(round(lead * sr), np.float32), np.float32(0.9), (0.15 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)]

def test_audio_placement_is_sample_accurate(tmp_path):
    media.write_wav(tmp_path / 'click48.wav', _clicked(SR), SR)
    media.write_wav(tmp_path / 'click44.wav', _clicked(44100), 44100)          # resampled to 48 kHz on the way
    media.write_wav(tmp_path / 'late.wav', _clicked(SR, lead=1.0), SR)         # the click 1 s into the file
    for name, clip, tol in (('click48.wav', AudioClip(tmp_path / 'click48.wav', 1.234), 0),
                            ('click44.wav', AudioClip(tmp_path / 'click44.wav', 1.234), 2),
                            ('late.wav', AudioClip(tmp_path / 'late.wav', 0.734, in_point=0.5), 0)):
        x, sr = media.read_wav(mix_tracks([clip], 3.0, tmp_path / f'{name}.mix.wav', loudness=-20))
        assert sr == SR and x.shape == (3 * SR, 2)
        assert abs(int(np.argmax(np.abs(x[:, 0]))) - round(1.234 * SR)) <= tol, name

def test_effects_fades_in_point_and_music_crossfade(tmp_path):
    t = np.arange(4 * SR) / SR
    media.write_wav(tmp_path / 'a.wav', (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), SR)
    ramp = (t / 4).astype(np.float32)                                           # a level that says where in the file we are
    media.write_wav(tmp_path / 'ramp.wav', ramp * np.sin(2 * np.pi * 500 * t).astype(np.float32), SR)
    def rms(x, a, b): return float(np.sqrt((x[int(a * SR):int(b * SR), 0] ** 2).mean()))
    # effects: fade in over 1 s, out over 1 s, from 2 s into the file; the in-point shows in the level
    x, _ = media.read_wav(mix_tracks([AudioClip(tmp_path / 'ramp.wav', 0.5, 'effects', in_point=2.0, duration=1.6, fade_in=0.5, fade_out=0.5)],
                                     3.0, tmp_path / 'fx.wav', loudness=-20))
    assert rms(x, 0.0, 0.45) < 1e-3 and rms(x, 2.15, 3.0) < 1e-3              # silent outside [0.5, 2.1)
    assert rms(x, 0.5, 0.6) < rms(x, 0.9, 1.0) and rms(x, 1.95, 2.05) < rms(x, 1.5, 1.6)   # fading in, fading out
    # music: two overlapping clips crossfade over the overlap with equal-power curves: no gap, no jump
    x, _ = media.read_wav(mix_tracks([AudioClip(tmp_path / 'a.wav', 0.0, 'music', duration=3.0),
                                      AudioClip(tmp_path / 'a.wav', 2.0, 'music', in_point=0.0)], 5.0, tmp_path / 'mx.wav'))
    before, during, after = rms(x, 0.5, 1.5), rms(x, 2.3, 2.7), rms(x, 3.5, 4.5)
    assert abs(after / before - 1) < 0.05 and 0.6 < during / before < 1.5

def test_music_and_effects_duck_under_dialogue(tmp_path):
    t = np.arange(6 * SR) / SR
    media.write_wav(tmp_path / 'pad.wav', (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32), SR)
    media.write_wav(tmp_path / 'hum.wav', (0.3 * np.sin(2 * np.pi * 60 * t)).astype(np.float32), SR)
    media.write_wav(tmp_path / 'voice.wav', (0.3 * np.sin(2 * np.pi * 3000 * t[:SR * 3 // 2])).astype(np.float32), SR)
    def band(x, a, b, lo, hi):
        seg = x[int(a * SR):int(b * SR), 0]; spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
        f = np.fft.rfftfreq(len(seg), 1 / SR); return 10 * np.log10(spec[(f >= lo) & (f < hi)].sum())
    x, _ = media.read_wav(mix_tracks([AudioClip(tmp_path / 'pad.wav', 0, 'music'), AudioClip(tmp_path / 'hum.wav', 0, 'effects'),
                                      AudioClip(tmp_path / 'voice.wav', 2.0)], 6.0, tmp_path / 'd.wav', duck_db=10, effects_duck_db=4))
    music = band(x, 2.5, 3.2, 90, 130) - band(x, 0.5, 1.2, 90, 130)
    fx = band(x, 2.5, 3.2, 40, 80) - band(x, 0.5, 1.2, 40, 80)
    assert abs(music + 10) < 1.5 and abs(fx + 4) < 1.0, (music, fx)

def test_whole_film_loudness_and_tracks(media_dir, tmp_path):
    media.write_wav(tmp_path / 'v22.wav', (0.4 * np.sin(2 * np.pi * 200 * np.arange(22050) / 22050)).astype(np.float32), 22050)
    tl = Timeline([VideoClip('still', 2.0, media_dir / 'red.png'), VideoClip('card', 1.0, text='END', transition=Transition('fadeblack', 0.5))],
                  [AudioClip(media_dir / 'tone.wav', 0, 'music', gain_db=-3, fade_out=0.5), AudioClip(tmp_path / 'v22.wav', 0.5)],
                  output=SMALL, loudness=-16)
    r = render(tl, tmp_path / 'film.mp4')
    p = media.probe(r.path); L = media.loudness(r.path)
    assert p['audio']['codec'] == 'aac' and abs(p['duration'] - tl.duration) < 0.05 and count_frames(r.path) == tl.frames
    assert abs(L['integrated'] + 16) <= 0.5 and L['true_peak'] <= -1.0

# ---- encoder, progress, cancel, cache

def test_encoder_choice(monkeypatch):
    R.nvenc_available.cache_clear()
    try:
        assert R.pick_encoder('auto') == ('h264_nvenc' if R.nvenc_available() else 'libx264')
        if not Path('/dev/nvidia0').exists(): assert R.pick_encoder('auto') == 'libx264'    # this machine has no NVIDIA GPU
        R.nvenc_available.cache_clear()
        def broken(args, **kw): raise BackendError('Cannot load libcuda.so.1')
        monkeypatch.setattr(R, 'ffmpeg_job', broken)                  # listed but not working: falls back
        assert R.pick_encoder('auto') == 'libx264'
        with pytest.raises(BackendError, match='NVIDIA'): R.pick_encoder('h264_nvenc')
    finally: R.nvenc_available.cache_clear()
    assert R.encoder_args('h264_nvenc', 30, 'slow', 20)[:4] == ['-c:v', 'h264_nvenc', '-preset', 'p6']
    with pytest.raises(InputError, match='encoder'): R.pick_encoder('x265')

def test_cancel_leaves_nothing(media_dir, tmp_path):
    tl = Timeline([VideoClip('still', 20.0, media_dir / 'red.png', KenBurnsMove((0.3, 0.5, 1.0), (0.7, 0.5, 1.5)))],
                  [AudioClip(media_dir / 'tone.wav', 0, 'music')], output=OutputPreset('16:9', 720, 24))
    ev, seen = threading.Event(), []
    def cb(d, t):
        seen.append(d)
        if d >= 5: ev.set()
    t0 = time.perf_counter()
    with pytest.raises(Cancelled): render_timeline(tl, tmp_path / 'x.mp4', callback=cb, cancel=ev)
    assert time.perf_counter() - t0 < 15 and seen
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(Cancelled): render_timeline(tl, tmp_path / 'y.mp4', cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []

def test_failure_in_one_segment_stops_the_render(media_dir, tmp_path, monkeypatch):
    tl = Timeline([VideoClip('still', 1.0, media_dir / 'red.png'), VideoClip('still', 1.0, media_dir / 'blue.jpg')], output=SMALL, fade_in=0, fade_out=0)
    orig = R.render_segment_plan
    def flaky(tl, seg, out, **kw):
        if seg.index == 1: raise BackendError('disk on fire')
        return orig(tl, seg, out, **kw)
    monkeypatch.setattr(R, 'render_segment_plan', flaky)
    with pytest.raises(BackendError, match='disk on fire'): R.render_timeline(tl, tmp_path / 'x.mp4', segment_seconds=0.5, workers=2)
    assert not (tmp_path / 'x.mp4').exists()
    monkeypatch.setattr(R, 'render_segment_plan', orig)
    def deaf(*a, **kw): raise BackendError('no sound card in a render farm')
    monkeypatch.setattr(R, 'mix_tracks', deaf)                        # an audio failure is reported as itself, not as the stop it caused
    with pytest.raises(BackendError, match='no sound card'):
        R.render_timeline(replace(tl, audio=[AudioClip(media_dir / 'tone.wav', 0)]), tmp_path / 'x.mp4', segment_seconds=0.5)
    assert not (tmp_path / 'x.mp4').exists()

def test_progress_and_cache(media_dir, tmp_path):
    tl = Timeline([VideoClip('still', 1.0, media_dir / 'red.png'), VideoClip('card', 1.0, text='B'), VideoClip('still', 1.0, media_dir / 'blue.jpg')],
                  [AudioClip(media_dir / 'tone.wav', 0.5)], output=SMALL)
    seen = []
    a = render(tl, tmp_path / 'a.mp4', callback=lambda d, t: seen.append((d, t)), cache_dir=tmp_path / 'cache', segment_seconds=0.5, workers=2)
    assert seen[-1][0] == seen[-1][1] and all(x[0] < y[0] for x, y in zip(seen, seen[1:])) and a.cached == 0 and a.segments == 3
    edited = replace(tl, video=[tl.video[0], VideoClip('card', 1.0, text='changed'), tl.video[2]])
    b = render(edited, tmp_path / 'b.mp4', cache_dir=tmp_path / 'cache', segment_seconds=0.5)
    assert (b.cached, b.segments) == (2, 3)                           # only the edited segment was rendered again
    assert count_frames(b.path) == tl.frames

# ---- figures (slow): memory at 1080p, and CPU against a raw encode of the same frames

def _cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime

@pytest.mark.slow
def test_memory_at_1080p_stays_flat(media_dir, tmp_path):
    "Peak RSS at 1080p (one worker: one ffmpeg at a time); run in a fresh interpreter so ru_maxrss is this render's."
    code = f"""
import resource, numpy as np
from pathlib import Path
from PIL import Image
from aistudio.timeline import *
from aistudio.motion import KenBurnsMove
d = Path({str(tmp_path)!r})
for k in range(6): Image.effect_noise((1920, 1080), 40 + 10 * k).convert('RGB').save(d / f's{{k}}.png')
tl = Timeline([VideoClip('still', 5.0, d / f's{{k % 6}}.png', KenBurnsMove((0.4, 0.5, 1.0), (0.6, 0.5, 1.25)),
                         transition=Transition('crossfade', 0.5) if k % 4 else Transition()) for k in range(12)],
              [AudioClip(Path({str(media_dir / 'tone.wav')!r}), 2.0 * k) for k in range(25)], output=OutputPreset('16:9', 1080, 24))
r = render_timeline(tl, d / 'film.mp4')
print(r.frames, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
    # through a small launcher: Linux keeps a process's peak RSS across exec, so a child forked straight from this (large)
    # test process would report this process's peak instead of its own
    launch = 'import subprocess, sys; sys.exit(subprocess.call([sys.executable, "-c", sys.argv[1]]))'
    out = subprocess.run([sys.executable, '-c', launch, code], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    frames, me, child = map(int, out.stdout.split()[-3:])
    print(f'1080p, {frames} frames: python {me / 1024:.0f} MB, largest ffmpeg {child / 1024:.0f} MB')
    assert frames == 12 * 120 - 9 * 12 and me < 300 * 1024 and me + child < 1024 * 1024

@pytest.mark.slow
def test_benchmark_minute_at_720p(tmp_path):
    "Prints the CPU of rendering a 60 s 720p timeline of moving stills and of a raw libx264 encode of the same frames."
    rng = np.random.default_rng(0)
    stills = []
    for k in range(6):
        im = Image.fromarray((rng.random((135, 240, 3)) * 255).astype(np.uint8)).resize((1920, 1080), Image.BICUBIC)
        im.save(tmp_path / f's{k}.png'); stills.append(tmp_path / f's{k}.png')
    t = np.arange(60 * SR) / SR
    media.write_wav(tmp_path / 'music.wav', (0.2 * np.sin(2 * np.pi * 110 * t)).astype(np.float32), SR)
    media.write_wav(tmp_path / 'line.wav', (0.3 * np.sin(2 * np.pi * 220 * t[:2 * SR]) * (np.sin(2 * np.pi * 3 * t[:2 * SR]) > 0)).astype(np.float32), SR)
    clips = [VideoClip('still', 4.0 + (0.5 if k % 3 != 2 else 0), stills[k % 6],
                       KenBurnsMove((0.45 + 0.01 * (k % 5), 0.5, 1.0), (0.55, 0.48, 1.15)),
                       transition=Transition('crossfade', 0.5) if k % 3 else Transition()) for k in range(15)]
    tl = Timeline(clips, [AudioClip(tmp_path / 'music.wav', 0, 'music')] + [AudioClip(tmp_path / 'line.wav', 4.0 * k + 0.5) for k in range(14)],
                  [Cue(4.0 * k + 0.5, 4.0 * k + 2.5, f'Line number {k}, spoken.') for k in range(14)], output=OutputPreset('16:9', 720, 24))
    assert abs(tl.duration - 60) < 0.1
    c0, t0 = _cpu_children() + time.process_time(), time.perf_counter()
    r = render_timeline(tl, tmp_path / 'film.mp4')
    ours, wall = _cpu_children() + time.process_time() - c0, time.perf_counter() - t0
    raw = tmp_path / 'frames.yuv'
    subprocess.run([media.ffmpeg_exe(), '-v', 'error', '-i', str(r.path), '-f', 'rawvideo', '-pix_fmt', 'yuv420p', str(raw)], check=True)
    c0, t0 = _cpu_children(), time.perf_counter()
    subprocess.run([media.ffmpeg_exe(), '-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '1280x720', '-r', '24', '-i', str(raw),
                    *map(str, R.encoder_args('libx264', 24)), str(tmp_path / 'floor.mp4')], check=True)
    floor, fwall = _cpu_children() - c0, time.perf_counter() - t0
    print(f'60 s 720p: render CPU {ours:.1f} s (wall {wall:.1f} s, stages {r.seconds}); raw libx264 encode of the same frames CPU {floor:.1f} s '
          f'(wall {fwall:.1f} s); ratio {ours / floor:.2f}')
    assert r.frames == tl.frames == count_frames(r.path)

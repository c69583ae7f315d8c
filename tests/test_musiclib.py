"LibraryMusic: track changes at scene boundaries, click-free loops, exact length, credits, missing extra."
import sys
import numpy as np, pytest
from aistudio.core import InputError, MissingExtraError
from aistudio.media import ffmpeg_output
from aistudio.music import Section, MOODS
from aistudio.musiclib import LibraryMusic, LIBRARY_MOODS, decode, loop_to, folders_for, scan_library
from aistudio.voice import PEAK

SR = 48000


def _wav(path, x, sr=44100):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ffmpeg_output(['-f', 'f32le', '-ar', str(sr), '-ac', '1', '-i', 'pipe:0', '-f', 'wav', 'pipe:1'],
                                   input=np.asarray(x, np.float32).tobytes()))


def _arpeggio(f0, timbre, secs=3.0, sr=44100):
    t = np.arange(int(0.25 * sr)) / sr
    notes = [sum(np.sin(2 * np.pi * f0 * (1, 1.25, 1.5, 2)[j % 4] * h * t) / h for h in range(1, timbre + 1)) * np.exp(-t / 0.2)
             for j in range(int(secs / 0.25))]
    return 0.3 * np.concatenate(notes)


@pytest.fixture(scope='module')
def synth_lib(tmp_path_factory):
    root = tmp_path_factory.mktemp('lib')
    for mood, f0, timbre in (('sad', 110.0, 1), ('joyful', 330.0, 4), ('epic', 196.0, 8), ('calm', 147.0, 2)):
        _wav(root / mood / 'arp.wav', _arpeggio(f0, timbre))
    return root


@pytest.fixture(scope='module')
def packaged():
    return LibraryMusic.from_pretrained()          # needs the music-library extra; fails (not skips) without it


def _novelty(audio, sr, win=2.0, hop=0.1):
    x = audio.mean(1); N = 2048; fr = np.lib.stride_tricks.sliding_window_view(x, N)[::N // 2]
    S = np.log1p(np.abs(np.fft.rfft(fr * np.hanning(N), axis=1))); fps = sr / (N // 2)
    ts = np.arange(win, len(x) / sr - win, hop); k = int(win * fps)
    return ts, np.array([np.linalg.norm(S[int(t * fps) - k:int(t * fps)].mean(0) - S[int(t * fps):int(t * fps) + k].mean(0)) for t in ts])


def _peaks(ts, d, k, gap=1.5):
    picks = []
    for j in np.argsort(-d):
        if all(abs(ts[j] - p) > gap for p in picks): picks.append(float(ts[j]))
        if len(picks) == k: break
    return sorted(picks)


def test_boundaries_are_the_biggest_spectral_changes(synth_lib):
    "Four scenes over 3-second looping tracks: the 3 highest spectral-change peaks sit within 0.5 s of the 3 boundaries."
    bounds = [0, 6.3, 13.1, 18.7, 26]
    moods = ['sad', 'joyful', 'epic', 'calm']
    out = LibraryMusic.from_pretrained(synth_lib)(mood='calm', duration=26, seed=4,
                                                  sections=[Section(bounds[i], bounds[i + 1], moods[i]) for i in range(4)])
    peaks = _peaks(*_novelty(out.audio, SR), 3)
    print('spectral change peaks', np.round(peaks, 2), 'boundaries', bounds[1:-1])
    assert all(abs(p - b) <= 0.5 for p, b in zip(peaks, bounds[1:-1]))


def test_packaged_scene_change_is_a_track_change(packaged):
    "Around each boundary the output matches the outgoing track before it and the incoming track after it."
    secs = [Section(0, 8, 'calm'), Section(8, 17, 'tense'), Section(17, 25, 'joyful')]
    out = packaged(mood='calm', duration=25, sections=secs, seed=7)
    files = {t.file: t for ts in packaged.library.values() for t in ts}
    tracks = [decode(files[c['file']].path, SR) for c in out.credits]
    assert [c['sections'] for c in out.credits] == [[0], [1], [2]]
    h = int(packaged.xfade / 2 * SR)
    sim = lambda a, b: float(a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
    for i, b in enumerate((8, 17)):
        start_prev = 0 if i == 0 else int(secs[i].start * SR) - h
        start_next = int(b * SR) - h
        pre = out.audio[(b - 2) * SR:(b - 1) * SR]; post = out.audio[(b + 1) * SR:(b + 2) * SR]
        s_pre = sim(pre, tracks[i][(b - 2) * SR - start_prev:(b - 1) * SR - start_prev])
        s_post = sim(post, tracks[i + 1][(b + 1) * SR - start_next:(b + 2) * SR - start_next])
        s_cont = sim(post, tracks[i][(b + 1) * SR - start_prev:(b + 2) * SR - start_prev])
        print(f'boundary {b}: before {s_pre:.3f} after {s_post:.3f} old track continuing {s_cont:.3f}')
        assert s_pre > 0.95 and s_post > 0.95 and abs(s_cont) < 0.3


def test_loop_seams_have_no_clicks(synth_lib):
    "A 0.37 s tone looped to 5 s: the steepest sample step near every seam stays under 1.5x the tone's own."
    f, n0 = 523.25, int(0.37 * SR)
    x = 0.5 * np.sin(2 * np.pi * f * np.arange(n0) / SR)
    y, seams = loop_to(np.stack([x, x], 1), 5 * SR, int(0.1 * SR))
    own = 2 * np.pi * f / SR * 0.5
    assert y.shape == (5 * SR, 2) and len(seams) >= 10
    worst = max(np.abs(np.diff(y[s - 2400:s + 2400, 0])).max() for s in seams)
    print(f'worst step at seams {worst:.4f}, tone step {own:.4f}, hard-loop step {np.abs(np.diff(np.tile(x, 3))).max():.3f}')
    assert worst < 1.5 * own
    assert np.abs(np.diff(np.tile(x, 3))).max() > 5 * own       # the naive loop does click: the measure can fail


def test_packaged_loop_seams_no_jumps(packaged):
    "A 70 s scene loops a ~32 s track twice: near the seams no step is larger than the track's own largest step (x1.1)."
    out = packaged(mood='sad', duration=70, seed=2)
    tr = decode({t.file: t for ts in packaged.library.values() for t in ts}[out.credits[0]['file']].path, SR)
    _, seams = loop_to(tr, len(out.audio), int(packaged.loop_xfade * SR))
    assert len(seams) == 2
    ref = np.abs(np.diff(tr, axis=0)).max()
    for s in seams:
        w = out.audio[s - SR:s + SR]
        print(f'seam {s / SR:.2f} s: largest step {np.abs(np.diff(w, axis=0)).max():.4f}, track max step {ref:.4f}')
        assert np.abs(np.diff(w, axis=0)).max() <= 1.1 * ref


@pytest.mark.parametrize('duration, sr', [(0.3, 48000), (7.77, 44100), (33.3, 32000)])
def test_exact_length_rate_and_peak(synth_lib, duration, sr):
    out = LibraryMusic.from_pretrained(synth_lib)(mood='sad', duration=duration, sample_rate=sr,
                                                  sections=[(0, duration / 2, 'sad'), (duration / 2, duration, 'epic')])
    a = out.audio
    assert a.shape == (round(duration * sr), 2) and a.dtype == np.float32 and out.sample_rate == sr
    assert np.isfinite(a).all() and 0.05 < np.abs(a).max() <= PEAK


def test_deterministic_and_seeded(packaged):
    kw = dict(mood='joyful', duration=4, sections=[(0, 2, 'joyful'), (2, 4, 'calm')])
    a, b = packaged(seed=3, **kw), packaged(seed=3, **kw)
    assert np.array_equal(a.audio, b.audio) and a.credits == b.credits
    picks = {tuple(c['file'] for c in packaged(seed=s, **kw).credits) for s in range(8)}
    assert len(picks) > 1                                         # the seed changes the choice


def test_mood_table_and_credits(packaged):
    assert set(LIBRARY_MOODS) == set(MOODS)
    for mood in MOODS:
        assert folders_for(mood, packaged.library)[0] in packaged.library
    out = packaged(mood='epic', duration=3)
    c = out.credits[0]
    assert c['file'].startswith('energetic/') and c['licence'] == 'MIT' and c['title'] and not c['file'].startswith('/')


def test_user_folder_credits_json_and_errors(tmp_path):
    _wav(tmp_path / 'Sorrow' / 'a-slow_piece.wav', _arpeggio(110, 2))
    (tmp_path / 'credits.json').write_text('{"sorrow/a-slow_piece.wav": {"title": "Slow", "artist": "Me", "licence": "CC-BY-4.0"}}')
    lib = scan_library(tmp_path)
    assert list(lib) == ['sorrow'] and lib['sorrow'][0].title == 'A Slow Piece'   # credits.json keys use the real folder name
    (tmp_path / 'credits.json').write_text('{"Sorrow/a-slow_piece.wav": {"title": "Slow", "artist": "Me", "licence": "CC-BY-4.0"}}')
    out = LibraryMusic.from_pretrained(tmp_path)(mood='sad', duration=2)
    assert out.credits == [{'title': 'Slow', 'artist': 'Me', 'licence': 'CC-BY-4.0', 'file': 'Sorrow/a-slow_piece.wav', 'sections': [0]}]
    empty = tmp_path / 'empty'; (empty / 'calm').mkdir(parents=True)
    with pytest.raises(InputError, match='no audio files'): LibraryMusic.from_pretrained(empty)
    _wav(tmp_path / 'quiet' / 'calm' / 'z.wav', np.zeros(44100))
    with pytest.raises(InputError, match='silent'): LibraryMusic.from_pretrained(tmp_path / 'quiet')(mood='calm', duration=1)
    with pytest.raises(InputError, match='seed'): LibraryMusic.from_pretrained(tmp_path)(duration=1, seed='x')


def test_missing_library_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, 'immich_memories_music', None)
    with pytest.raises(MissingExtraError, match=r'music-library'): LibraryMusic.from_pretrained()

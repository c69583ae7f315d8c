"Edge cases of the procedural composer that the notebook does not show."
import numpy as np, pytest
from aistudio.core import InputError
from aistudio.music import ProceduralComposer, Section, check_sections, MOODS, resolve_mood, estimate_tempo


@pytest.fixture(scope='module')
def composer(): return ProceduralComposer()


@pytest.mark.parametrize('duration, sr', [(0.1, 48000), (0.37, 44100), (1.0, 8000), (3.3, 22050), (2.5, 96000), (1.5, 192000)])
def test_exact_length_any_rate(composer, duration, sr):
    a = composer(mood='joyful', duration=duration, sections=[], seed=5, sample_rate=sr).audio
    assert a.shape == (round(duration * sr), 2) and a.dtype == np.float32
    assert np.isfinite(a).all() and np.abs(a).max() <= 0.9 and np.abs(a).max() > 0


def test_chunking_does_not_change_the_music(composer):
    "Chunk boundaries (events, crossfades, reverb overlap-add) are seamless: tiny chunks give the same audio."
    secs = [Section(0, 3.3, 'tense'), Section(3.3, 7.1, 'wonder'), Section(7.1, 9.0, 'epic')]
    ref = composer(mood='calm', duration=9.0, sections=secs, seed=3).audio
    small = ProceduralComposer(); small._fft_block = 1 << 16          # chunks of about 2 s instead of 18 s
    calls = []
    got = small(mood='calm', duration=9.0, sections=secs, seed=3, callback=lambda d, t: calls.append((d, t))).audio
    assert len(calls) > 3 and calls[-1][0] == calls[-1][1]
    np.testing.assert_allclose(got, ref, atol=2e-5)


def test_many_short_sections_and_peak(composer):
    moods = ['tense', 'calm', 'epic', 'eerie', 'joyful']
    secs = [Section(i * 0.4, i * 0.4 + 0.4, moods[i % 5]) for i in range(100)]
    a = composer(mood='calm', duration=40, sections=secs, seed=1).audio
    assert a.shape == (40 * 48000, 2) and np.abs(a).max() <= 0.9


def test_sections_gaps_tuples_and_fallbacks():
    got = check_sections([(1, 2, 'joy'), {'start': 2, 'end': 3, 'mood': ''}, Section(3, 3.02, 'totally unknown')], 3.02, 'SAD')
    assert [(s.start, s.end, s.mood) for s in got] == [(0.0, 1, 'sad'), (1, 2, 'joyful'), (2, 3, 'sad'), (3, 3.02, 'calm')]
    assert check_sections([(0.02, 4.98, 'epic')], 5)[0].start == 0.0     # tiny gaps are absorbed
    assert check_sections([(0.02, 4.98, 'epic')], 5)[-1].end == 5.0
    assert check_sections(None, 2, None) == [Section(0.0, 2.0, 'calm')]
    with pytest.raises(InputError, match=r'sections\[1\] .*lies outside'): check_sections([(0, 1, 'a'), (1, 2, 'b')], 1.5)
    with pytest.raises(InputError, match=r'sections\[0\] must be a Section'): check_sections(['calm'], 5)
    with pytest.raises(InputError, match='finite'): check_sections([(0, float('nan'), 'a')], 5)
    with pytest.raises(InputError, match='duration'): check_sections([], 'long')


def test_bad_arguments(composer):
    with pytest.raises(InputError, match='seed'): composer(mood='calm', duration=1, seed=True)
    with pytest.raises(InputError, match='sample_rate'): composer(mood='calm', duration=1, sample_rate=48000.0)
    with pytest.raises(InputError, match='mood must be a string'): composer(mood=3, duration=1)
    with pytest.raises(InputError, match='3600'): composer(mood='calm', duration=3601)
    with pytest.raises(InputError, match='too short'): estimate_tempo(np.zeros((1000, 2), np.float32), 48000)


def test_every_mood_and_alias_resolves():
    assert all(resolve_mood(m) == m for m in MOODS)
    for emotion in ('neutral', 'joy', 'sadness', 'anger', 'fear', 'surprise', 'tenderness', 'wonder', 'resolve'):
        assert resolve_mood(emotion) in MOODS
    assert resolve_mood('Brooding, rain-soaked') == 'dark' and resolve_mood('🌧️') == 'calm'


def test_params_and_from_pretrained():
    c = ProceduralComposer.from_pretrained(None, dtype='float16', device='cuda')
    assert c.params()['version'] == ProceduralComposer.version == '2' and c.params()['name'] == 'procedural'


# ---- modes, stems and scene accents ----
from aistudio.music import STEMS, SCALES, CHARACTERISTIC, mode_name, boundary_accents, scale_pcs
from aistudio.idioms import MODES, scale_energy


def _pitched_shares(composer, mood, seed=2):
    "Power share per pitch class (above the tonic) of the pitched stems over one whole progression of `mood`."
    st = MOODS[mood]
    r = composer(mood=mood, duration=1 + 4 * st.chord_beats * 60 / st.tempo, seed=seed, stems=True)
    pitched = sum(v for k, v in r.stems.items() if k != 'perc')
    return np.array([scale_energy(pitched, 48000, st.tonic, [i]) for i in range(12)])


@pytest.mark.slow
def test_every_mood_sounds_its_mode(composer):
    "Pitch-class power of the pitched parts: >= 85% on the mode's notes, and the mode's colour note clearly sounded."
    assert {mode_name(s.mode) for s in MOODS.values()} == set(MODES)          # all seven church modes are used
    for mood, st in MOODS.items():
        mode = mode_name(st.mode); sh = _pitched_shares(composer, mood)
        inside = sh[list(MODES[mode])].sum()
        outside = max(sh[i] for i in range(12) if i not in MODES[mode])
        assert inside >= 0.85, (mood, mode, inside)
        assert sh[CHARACTERISTIC[mode]] > max(0.01, outside), (mood, mode, sh.round(3))


def test_mode_measure_tells_neighbouring_modes_apart(composer):
    "Lydian (wonder, E) sounds A#, not the A of E ionian; phrygian (tense, E) sounds F, not the F# of E aeolian."
    wonder, tense = _pitched_shares(composer, 'wonder'), _pitched_shares(composer, 'tense')
    assert wonder[6] > 5 * wonder[5], wonder.round(3)
    assert tense[1] > 5 * tense[2], tense.round(3)
    assert scale_pcs('E', 'lydian')[3] == 10 and SCALES['major'] == MODES['ionian'] and SCALES['minor'] == MODES['aeolian']


def test_stems_add_up_to_the_mix_under_limiting(composer):
    "Loud, busy music drives the master limiter; the stems carry its gain and still sum to the mix."
    secs = [Section(0, 4, 'epic'), Section(4, 8, 'triumphant'), Section(8, 12, 'joyful')]
    plain = composer(mood='epic', duration=12, sections=secs, seed=4)
    out = composer(mood='epic', duration=12, sections=secs, seed=4, stems=True)
    assert plain.stems == {} and list(out.stems) == list(STEMS)
    total = sum(out.stems.values())
    assert np.abs(out.audio).max() > 0.6                                    # the limiter's knee was passed
    assert np.abs(total - out.audio).max() < 1e-5 and np.abs(plain.audio - out.audio).max() < 1e-5
    for k, v in out.stems.items():
        assert v.shape == out.audio.shape and np.isfinite(v).all()
        assert np.sqrt((v[48000:-48000] ** 2).mean()) > 0.005, k             # every part plays in these moods


def test_stems_do_not_depend_on_chunking(composer):
    secs = [Section(0, 3.3, 'tense'), Section(3.3, 7.0, 'wonder')]
    ref = composer(mood='calm', duration=7.0, sections=secs, seed=3, stems=True)
    small = ProceduralComposer(); small._fft_block = 1 << 16
    got = small(mood='calm', duration=7.0, sections=secs, seed=3, stems=True)
    for k in STEMS: np.testing.assert_allclose(got.stems[k], ref.stems[k], atol=2e-5)


def test_scene_changes_are_accented(composer):
    "At every cut (off the beat grid, every mood entered) the strongest onset within 100 ms beats an ordinary beat by 1.3x."
    rng = np.random.default_rng(0); moods = list(MOODS); rng.shuffle(moods)
    t, secs = 0.0, []
    for m in moods:
        d = float(rng.uniform(4.2, 5.6)); secs.append(Section(round(t, 3), round(t + d, 3), m)); t += d
    out = composer(mood='calm', duration=secs[-1].end, sections=secs, seed=9)
    cuts = [s.start for s in secs[1:]]
    acc = boundary_accents(out.audio, 48000, cuts)
    assert min(acc) >= 1.3, dict(zip(moods[1:], np.round(acc, 2)))
    mids = boundary_accents(out.audio, 48000, [(s.start + s.end) / 2 + 0.37 for s in secs[1:-1]])  # not cuts
    assert np.median(acc) > 1.5 * np.median(mids), (np.median(acc), np.median(mids))


def test_stems_field_is_keyword_only():
    "Subclasses add positional fields after `sections` (musiclib's credits); `stems` must not take their place."
    from dataclasses import dataclass, field
    from aistudio.music import MusicOutput
    @dataclass
    class Extra(MusicOutput): credits: list = field(default_factory=list)
    x = Extra(np.zeros((4, 2), np.float32), 48000, [], [{'file': 'a'}])
    assert x.credits == [{'file': 'a'}] and x.stems == {}

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
    assert c.params()['version'] == ProceduralComposer.version == '1' and c.params()['name'] == 'procedural'

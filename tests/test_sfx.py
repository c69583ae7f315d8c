"Sound effects: every cue measured by analysis (spectra, onsets, envelopes), scene cue picking and the scene bed."
import numpy as np
import pytest
from aistudio.core import InputError
from aistudio.film import Line, Scene
from aistudio.sfx import PEAK, SFX, SfxCue, cues_for_scene, render_cue, render_scene_sfx, soft_limit

SR = 48000

def centroid(x, sr=SR):
    s = np.abs(np.fft.rfft(x.mean(1))) ** 2; f = np.fft.rfftfreq(len(x), 1 / sr)
    return float((s * f).sum() / s.sum())

def envelope(x, hop_s, sr=SR):
    "RMS of the mono mix in frames of hop_s seconds."
    m, hop = x.mean(1), int(hop_s * sr); k = len(m) // hop
    return np.sqrt((m[:k * hop].reshape(k, hop).astype(np.float64) ** 2).mean(1))

def onsets(x, sr=SR, min_gap=0.15):
    "Onset times: 5 ms frames whose energy jumps by > 6 dB and lies within 30 dB of the loudest frame."
    db = 20 * np.log10(envelope(x, 0.005, sr) + 1e-9)
    rise = np.diff(db, prepend=db[0]); out = []
    for i in np.flatnonzero((rise > 6) & (db > db.max() - 30)):
        if not out or (i - out[-1]) * 0.005 >= min_gap: out.append(i)
    return np.array(out) * 0.005

def envelope_period(x, lo=3.0, hi=15.0):
    "Lag (s) of the strongest peak of the autocorrelation of the 50 ms envelope between lo and hi."
    e = envelope(x, 0.05); e = e - e.mean(); k = len(e)
    ac = np.correlate(e, e, 'full')[k - 1:]
    lags = np.arange(k) * 0.05; sel = (lags >= lo) & (lags <= hi)
    return float(lags[sel][np.argmax(ac[sel])])

def hf_modulation(x):
    "Std of the 10 ms envelope's components above 8 Hz, relative to its mean: how jumpy the loudness is."
    e = envelope(x, 0.01); E = np.fft.rfft(e - e.mean()); f = np.fft.rfftfreq(len(e), 0.01)
    E[f < 8] = 0
    return float(np.std(np.fft.irfft(E, len(e))) / e.mean())

# ---- every cue ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', list(SFX))
def test_cue_contract(name):
    cue = SfxCue(name, 0, 1.2345)
    x = render_cue(cue, sample_rate=44100, seed=5)
    assert x.shape == (round(1.2345 * 44100), 2) and x.dtype == np.float32
    assert np.isfinite(x).all() and np.abs(x).max() <= PEAK
    assert np.array_equal(x, render_cue(cue, sample_rate=44100, seed=5))          # deterministic
    assert not np.array_equal(x, render_cue(cue, sample_rate=44100, seed=6))      # the seed matters
    rms = np.sqrt(np.mean(x.astype(np.float64) ** 2))
    assert rms > 10 ** (-60 / 20), f'{name}: {20 * np.log10(rms):.1f} dBFS is silence'
    quiet = render_cue(SfxCue(name, 0, 1.2345, gain_db=-40), sample_rate=44100, seed=5)
    drop = 20 * np.log10(rms / np.sqrt(np.mean(quiet.astype(np.float64) ** 2)))
    assert np.abs(quiet).max() > 0 and 38 < drop < 41, f'{name}: -40 dB gain dropped the level by {drop:.1f} dB'

@pytest.mark.parametrize('name', ['footsteps', 'door', 'thunder', 'fire'])
def test_loud_cues_stay_below_the_ceiling(name):
    x = render_cue(SfxCue(name, 0, 2.0, gain_db=12), seed=1)
    assert np.abs(x).max() <= PEAK and np.isfinite(x).all()
    assert np.abs(x).max() > 0.8                      # +12 dB really is loud, limited rather than silenced

def test_soft_limit():
    x = np.linspace(-50, 50, 100001)
    y = soft_limit(x)
    assert np.abs(y).max() <= PEAK and (np.diff(y) >= 0).all()
    small = np.abs(x) < 0.7
    assert np.array_equal(y[small], x[small])

def test_spectral_centroids_order():
    c = {k: centroid(render_cue(SfxCue(k, 0, 3.0), seed=s)) for s in (0, 1) for k in ('thunder', 'wind', 'rain', 'crickets')}
    print({k: round(v) for k, v in c.items()})
    assert c['thunder'] < 200 < c['wind'] < 1500 < 2500 < min(c['rain'], c['crickets'])

def test_rain_density_follows_intensity():
    "Sparse droplets over a quiet hiss are spiky (high kurtosis); heavy rain's dense drops blend towards Gaussian (3)."
    kurt = lambda x: float(np.mean(x ** 4) / np.mean(x ** 2) ** 2)
    k = {i: kurt(render_cue(SfxCue('rain', 0, 3.0, params={'intensity': i}), seed=2).mean(1).astype(np.float64)) for i in ('light', 'heavy')}
    print('rain kurtosis', {i: round(v, 2) for i, v in k.items()})
    assert k['light'] > 1.3 * k['heavy'] and k['heavy'] > 3.2

def test_thunder_energy_is_low():
    for d in (0.0, 0.4, 1.0):
        x = render_cue(SfxCue('thunder', 0, 6.0, params={'distance': d}), seed=3).mean(1)
        s = np.abs(np.fft.rfft(x)) ** 2; f = np.fft.rfftfreq(len(x), 1 / SR)
        low = s[f < 200].sum() / s.sum()
        print('thunder distance', d, 'energy below 200 Hz', round(low, 3))
        assert low > 0.6

def test_thunder_decays():
    e = envelope(render_cue(SfxCue('thunder', 0, 8.0), seed=0), 0.5)
    assert e[:4].mean() > 3 * e[-2:].mean()           # loud early, long decay to a fraction

@pytest.mark.parametrize('pace,steps,surface', [(1.8, 8, 'hard'), (1.0, 5, 'soft'), (3.0, 12, 'hard'), (2.5, 0, 'soft')])
def test_footsteps_count_and_pace(pace, steps, surface):
    dur = 6.0
    x = render_cue(SfxCue('footsteps', 0, dur, params={'pace': pace, 'steps': steps, 'surface': surface}), seed=4)
    o = onsets(x)
    want = steps or int((dur - 0.15) * pace)
    spacing = float(np.median(np.diff(o)))
    print(pace, steps, surface, 'onsets', len(o), 'want', want, 'spacing', round(spacing, 3), 'want', round(1 / pace, 3))
    assert abs(len(o) - want) <= 1
    assert abs(spacing - 1 / pace) <= 0.1 / pace

def test_footstep_surfaces_differ():
    hard, soft = (centroid(render_cue(SfxCue('footsteps', 0, 3.0, params={'surface': s}), seed=1)) for s in ('hard', 'soft'))
    assert hard > 1.5 * soft

def test_waves_period_default():
    for seed in (0, 1, 2):
        p = envelope_period(render_cue(SfxCue('waves', 0, 36.0), seed=seed))
        print('waves default period', seed, p)
        assert 6 <= p <= 10

@pytest.mark.slow
@pytest.mark.parametrize('period', [6.0, 10.0])
def test_waves_period_follows_parameter(period):
    p = envelope_period(render_cue(SfxCue('waves', 0, 40.0, params={'period': period}), seed=1))
    print('waves period', period, 'measured', p)
    assert abs(p - period) <= 0.1 * period

def test_crowd_is_smooth():
    crowd = hf_modulation(render_cue(SfxCue('crowd', 0, 6.0), seed=0))
    steps = hf_modulation(render_cue(SfxCue('footsteps', 0, 6.0), seed=0))
    print('modulation above 8 Hz: crowd', round(crowd, 3), 'footsteps', round(steps, 3))
    assert crowd < 0.3 and steps > 1.0 and crowd < steps / 4

def test_crowd_is_speech_band():
    x = render_cue(SfxCue('crowd', 0, 3.0), seed=0).mean(1)
    s = np.abs(np.fft.rfft(x)) ** 2; f = np.fft.rfftfreq(len(x), 1 / SR)
    assert s[(f > 200) & (f < 4000)].sum() / s.sum() > 0.8

def test_crickets_and_clock_are_periodic():
    x = render_cue(SfxCue('clock', 0, 6.0, params={'rate': 2.0}), seed=0)
    o = onsets(x, min_gap=0.1)
    assert abs(len(o) - 12) <= 1 and abs(np.median(np.diff(o)) - 0.5) < 0.05
    o = onsets(render_cue(SfxCue('crickets', 0, 8.0, params={'crickets': 1, 'rate': 2.0}), seed=0), min_gap=0.2)
    print('cricket chirps', len(o), 'spacing', round(float(np.median(np.diff(o))), 3))
    assert abs(len(o) - 16) <= 1 and abs(np.median(np.diff(o)) - 0.5) < 0.05

# ---- errors --------------------------------------------------------------------------------------------------------

def test_bad_names_and_params():
    with pytest.raises(InputError, match='wind, rain, thunder, waves'): SfxCue('explosion', 0, 1)
    with pytest.raises(InputError, match='light, heavy'): SfxCue('rain', 0, 1, params={'intensity': 'biblical'})
    with pytest.raises(InputError, match='pace, steps, surface'): SfxCue('footsteps', 0, 1, params={'speed': 2})
    with pytest.raises(InputError, match='0.5 to 4.0'): SfxCue('footsteps', 0, 1, params={'pace': 9})
    with pytest.raises(InputError, match='6.0 to 10.0'): SfxCue('waves', 0, 1, params={'period': 'slow'})
    with pytest.raises(InputError, match='duration'): SfxCue('wind', 0, -1)
    with pytest.raises(InputError, match='gain_db'): SfxCue('wind', 0, 1, gain_db=float('inf'))
    with pytest.raises(InputError, match='sample_rate'): render_cue(SfxCue('wind', 0, 1), sample_rate=100)
    with pytest.raises(InputError, match='duration'): render_scene_sfx(Scene('INT. ROOM - DAY'), 0)
    cue = SfxCue('wind', 0, 1); cue.name = 'nope'
    with pytest.raises(InputError, match='use one of wind'): render_cue(cue)

# ---- scenes ------------------------------------------------------------------------------------------------------

def names(scene): return [c.name for c in cues_for_scene(scene)]

def test_lighthouse_storm():
    sc = Scene('EXT. LIGHTHOUSE - NIGHT', time_of_day='night', description='The storm rages.', target_duration=12)
    cs = cues_for_scene(sc)
    assert {'waves', 'rain', 'wind', 'thunder'} <= {c.name for c in cs}
    assert 'crickets' not in names(sc)                     # no crickets in a storm
    assert [c.params for c in cs if c.name == 'rain'] == [{'intensity': 'heavy'}]
    assert all(0 <= c.start and c.start + c.duration <= 12 + 1e-9 for c in cs)

def test_door_slam_from_action_and_timing():
    sc = Scene('INT. HALL - DAY', target_duration=10, lines=[
        Line('ANNA', 'I have waited for this long enough, and so have you.'),
        Line('ANNA', 'Goodbye.', action='She slams the door.')])
    cs = cues_for_scene(sc)
    assert [(c.name, c.params) for c in cs] == [('door', {'action': 'slam'})]
    assert 4 < cs[0].start <= 8                             # after both lines, moved back to fit the 2 s slam
    sc2 = Scene('INT. HALL - DAY', description='She slams the door.', target_duration=10, lines=[Line('ANNA', 'Goodbye, then.')])
    assert cues_for_scene(sc2)[0].start == 0                # description comes first

def test_empty_interior_is_silent_and_case_plural():
    assert names(Scene('INT. ROOM - DAY')) == []
    assert names(Scene('INT. OFFICE - NIGHT', time_of_day='night', description='Papers on a desk. She reads.')) == []
    assert np.abs(render_scene_sfx(Scene('INT. ROOM - DAY'), 2.0)).max() == 0
    assert 'door' in names(Scene('INT. ROOM - DAY', description='SOMEONE IS KNOCKING.'))
    assert 'waves' in names(Scene('EXT. ROCKS - DAY', description='Waves crash below.'))
    assert 'footsteps' in names(Scene('INT. ROOM - DAY', description='He paces.'))
    assert 'crickets' in names(Scene('EXT. FARMHOUSE PORCH - NIGHT', time_of_day='night'))
    assert 'crowd' in names(Scene('INT. CAFE - DAY'))
    assert 'crickets' in names(Scene('EXT. MEADOW - NIGHT')) and 'birds' not in names(Scene('EXT. MEADOW - NIGHT'))
    assert 'birds' in names(Scene('EXT. MEADOW - DAY'))

def test_negation_is_safe():
    assert names(Scene('EXT. ROOF - DAY', description='There is no rain.')) == []
    assert names(Scene('INT. ROOM - DAY', description="Nobody knocks. She doesn't slam the door.")) in ([], ['door'])
    assert names(Scene('INT. ROOM - DAY', description="She doesn't slam the door.")) == []
    assert names(Scene('EXT. ROOF - DAY', description='No moon. Rain falls.')) == ['rain']

def test_render_scene_bed():
    sc = Scene('INT. KITCHEN - DAY', description='A fire crackles in the hearth.', target_duration=8,
               lines=[Line('ANNA', 'Enough of this.', action='She slams the door.')])
    slam = [c for c in cues_for_scene(sc) if c.name == 'door'][0]
    for dur in (8.0, 12.0):
        bed = render_scene_sfx(sc, dur, seed=1)
        assert bed.shape == (round(dur * SR), 2) and bed.dtype == np.float32
        assert np.isfinite(bed).all() and np.abs(bed).max() <= PEAK
        t = slam.start * dur / 8 + 0.95                          # the slam lands after its ~0.9 s creak
        e = envelope(bed, 0.1); i = int(t / 0.1)
        print('bed', dur, 'slam frame', round(20 * np.log10(e[i:i + 4].max()), 1), 'before', round(20 * np.log10(np.median(e[:i - 12])), 1))
        assert e[i:i + 4].max() > 4 * np.median(e[:i - 12])     # loud where the slam was placed, scaled to the real length
        assert e[5:-5].min() > 0                                 # the fire bed runs throughout
    assert np.array_equal(render_scene_sfx(sc, 8.0, seed=1), render_scene_sfx(sc, 8.0, seed=1))

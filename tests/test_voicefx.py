"Measured checks of the voice effects: each effect is judged by analysing its output, not by comparing to stored numbers."
import json
import numpy as np
import pytest
from aistudio.core import InputError
from aistudio.voice import PEAK, active_rms, estimate_f0
from aistudio.voicefx import EFFECTS, PRESETS, Effect, apply_effects, chain_key, describe_effects, describe_presets, vowel_tone

SR = 48000


def band_energy(x, sr, lo, hi):
    S = np.abs(np.fft.rfft(x)) ** 2; f = np.fft.rfftfreq(len(x), 1 / sr)
    return S[(f >= lo) & (f < hi)].sum() + 1e-30


def db(r): return 10 * np.log10(r)


def harmonicity(x, sr, f0):
    "Median over loud 40 ms frames of the best normalised autocorrelation within 10% of the f0 lag."
    n, hop, T = int(0.04 * sr), int(0.01 * sr), sr / f0
    lags = range(int(0.9 * T), int(1.1 * T) + 1)
    frames = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), n + lags[-1])[::hop]
    e = np.sum(frames[:, :n] ** 2, axis=1)
    vals = []
    for fr in frames[e >= 0.1 * e.max()]:
        a = fr[:n]
        vals.append(max(np.dot(a, fr[L:L + n]) / np.sqrt(np.dot(a, a) * np.dot(fr[L:L + n], fr[L:L + n]) + 1e-30) for L in lags))
    return float(np.median(vals))


def f0_track(x, sr, seg=0.1):
    n = int(seg * sr)
    out = [estimate_f0(x[i:i + n], sr) for i in range(0, len(x) - n + 1, n)]
    return np.array([f for f in out if f > 0])


@pytest.fixture(scope='module')
def vowel(): return vowel_tone(SR, 1.0, 120)


def test_pitch_octave_doubles_f0(vowel):
    y = apply_effects(vowel, SR, Effect('pitch', {'semitones': 12}))
    f_in, f_out = estimate_f0(vowel, SR), estimate_f0(y, SR)
    print(f'f0 {f_in:.2f} -> {f_out:.2f} Hz, ratio {f_out / f_in:.4f}')
    assert abs(f_out / f_in - 2) < 0.06
    assert len(y) == len(vowel)


def test_formant_keeps_pitch_and_raises_spectrum(vowel):
    y = apply_effects(vowel, SR, Effect('formant', {'ratio': 1.3}))
    def centroid(z):
        S = np.abs(np.fft.rfft(z)) ** 2; f = np.fft.rfftfreq(len(z), 1 / SR); m = f < 6000
        return (S[m] * f[m]).sum() / S[m].sum()
    c0, c1 = centroid(vowel), centroid(y)
    print(f'f0 {estimate_f0(vowel, SR):.1f} -> {estimate_f0(y, SR):.1f}; centroid {c0:.0f} -> {c1:.0f} Hz')
    assert abs(estimate_f0(y, SR) / estimate_f0(vowel, SR) - 1) < 0.03
    assert c1 > 1.15 * c0


def test_stretch_changes_length_only(vowel):
    y = apply_effects(vowel, SR, Effect('stretch', {'tempo': 1.25}))
    print(f'{len(vowel)} -> {len(y)} samples (target {len(vowel) / 1.25:.0f})')
    assert abs(len(y) - len(vowel) / 1.25) <= 0.01 * len(vowel) / 1.25
    assert abs(estimate_f0(y, SR) / estimate_f0(vowel, SR) - 1) < 0.03


def test_telephone_band(vowel):
    y = apply_effects(vowel, SR, 'telephone')
    for lo, hi in [(0, 250), (4000, SR / 2)]:
        before = db(band_energy(vowel, SR, lo, hi) / band_energy(vowel, SR, 300, 3400))
        after = db(band_energy(y, SR, lo, hi) / band_energy(y, SR, 300, 3400))
        print(f'{lo}-{hi} Hz vs band: {before:.1f} dB -> {after:.1f} dB')
        assert after < before - 20


def test_echo_autocorrelation_peak_at_delay():
    rng = np.random.default_rng(0)
    x = np.zeros(int(1.5 * SR))
    for t in (0.1, 0.55, 1.3):  # noise bursts; their spacings are far from the delay
        i = int(t * SR); x[i:i + int(0.04 * SR)] = rng.standard_normal(int(0.04 * SR)) * np.hanning(int(0.04 * SR)) * 0.3
    delay = 137.0
    y = apply_effects(x.astype(np.float32), SR, Effect('echo', {'delay_ms': delay, 'feedback': 0.3, 'wet': 0.5}))
    def ac_peak(z):
        n = 1 << int(np.ceil(np.log2(2 * len(z))))
        ac = np.fft.irfft(np.abs(np.fft.rfft(z, n)) ** 2)[:len(z)]; ac /= ac[0]
        lo, hi = int(0.005 * SR), int(0.4 * SR)
        return (lo + int(np.argmax(ac[lo:hi]))) / SR * 1000, ac[int(round(delay * SR / 1000))]
    (p_in, a_in), (p_out, a_out) = ac_peak(x), ac_peak(y)
    print(f'autocorrelation peak: input {p_in:.1f} ms (ac at delay {a_in:.3f}), output {p_out:.1f} ms (ac {a_out:.3f})')
    assert abs(p_out - delay) <= 2 and a_out > 0.2 and abs(a_in) < 0.05


def test_reverb_lengthens_decay():
    burst = vowel_tone(SR, 0.3, 150, syllables=1)
    x = np.concatenate([burst, np.zeros(int(0.7 * SR), np.float32)])
    x = x + np.random.default_rng(1).standard_normal(len(x)).astype(np.float32) * 1e-5  # a -100 dB noise floor
    y = apply_effects(x, SR, Effect('reverb', {'room': 0.5, 'wet': 0.3}))
    end = len(burst)
    def tail_db(z):
        w = z[end + int(0.2 * SR):end + int(0.25 * SR)].astype(np.float64)
        return db(np.mean(w ** 2) / np.mean(z[:end].astype(np.float64) ** 2))
    print(f'energy 200-250 ms after the burst: {tail_db(x):.1f} dB -> {tail_db(y):.1f} dB (vs the burst)')
    assert tail_db(y) > tail_db(x) + 20


def test_whisper_removes_voicing(vowel):
    y = apply_effects(vowel, SR, 'whisper')
    h_in, h_out = harmonicity(vowel, SR, 120), harmonicity(y, SR, 120)
    print(f'harmonicity at the f0 lag: {h_in:.3f} -> {h_out:.3f}')
    assert h_in > 0.8 and h_out < 0.3
    assert abs(db(active_rms(y, SR) / active_rms(vowel, SR))) < 3  # as loud as the voice


def test_robot_flattens_a_glide():
    x = vowel_tone(SR, 1.5, 100, 180, syllables=1)
    y = apply_effects(x, SR, Effect('robot', {'pitch_hz': 150}))
    fi, fo = f0_track(x, SR), f0_track(y, SR)
    spread = lambda f: (f.max() - f.min()) / np.median(f)
    print(f'f0 spread in {spread(fi):.3f} ({fi.min():.0f}-{fi.max():.0f} Hz), out {spread(fo):.4f} (median {np.median(fo):.1f} Hz, {len(fo)} frames)')
    assert spread(fi) > 0.4 and spread(fo) < 0.04 and abs(np.median(fo) - 150) < 3 and len(fo) >= 0.6 * len(fi)


@pytest.mark.parametrize('name', list(PRESETS))
def test_presets_safe(vowel, name):
    y = apply_effects(vowel, SR, name)
    assert y.dtype == np.float32 and len(y) == len(vowel)
    assert np.isfinite(y).all() and np.abs(y).max() <= PEAK
    assert active_rms(y, SR) > 0.1 * active_rms(vowel, SR)  # not silence


def test_every_effect_safe_and_level_matched(vowel):
    loud = vowel * (PEAK / np.abs(vowel).max())  # already at the peak: effects that add peaks must scale down
    for name in EFFECTS:
        for x in (vowel, loud):
            y = apply_effects(x, SR, name)
            assert np.isfinite(y).all() and np.abs(y).max() <= PEAK, name
            if np.abs(y).max() < PEAK * 0.999:  # not limited: loudness matches the input
                assert abs(db(active_rms(y, SR) / active_rms(x, SR))) < 1.0, name


@pytest.mark.parametrize('sr', [8000, 96000])
def test_extreme_rates(sr):
    x = vowel_tone(sr, 1.0, 120)
    y = apply_effects(x, sr, Effect('pitch', {'semitones': 12}))
    print(f'{sr} Hz: f0 {estimate_f0(x, sr):.1f} -> {estimate_f0(y, sr):.1f}')
    assert abs(estimate_f0(y, sr) / estimate_f0(x, sr) - 2) < 0.06
    for name in PRESETS:
        y = apply_effects(x, sr, name)
        assert len(y) == len(x) and np.isfinite(y).all() and np.abs(y).max() <= PEAK, (sr, name)
    h = harmonicity(apply_effects(x, sr, 'whisper'), sr, 120)
    assert h < 0.3, (sr, h)


def test_deterministic_and_keys(vowel):
    a, b = apply_effects(vowel, SR, 'ghost'), apply_effects(vowel, SR, 'ghost')
    assert np.array_equal(a, b)
    k = chain_key('ghost')
    assert json.loads(json.dumps(k)) == k and chain_key(k) == k
    assert np.array_equal(apply_effects(vowel, SR, k), a)
    assert chain_key([Effect('pitch', {'semitones': 2})]) != chain_key([Effect('pitch', {'semitones': 3})])
    assert chain_key(Effect('echo')) == chain_key([{'name': 'echo', 'params': {'delay_ms': 250}}])
    assert all(f'| {n} |' in describe_presets() for n in PRESETS) and all(f'| {n} |' in describe_effects() for n in EFFECTS)


def test_bad_input(vowel):
    with pytest.raises(InputError, match='chipmunk'): apply_effects(vowel, SR, 'banshee')
    with pytest.raises(InputError, match='reverb'): apply_effects(vowel, SR, Effect('flanger'))
    with pytest.raises(InputError, match='semitones'): apply_effects(vowel, SR, Effect('pitch', {'cents': 5}))
    with pytest.raises(InputError, match='0 to 0.9'): apply_effects(vowel, SR, Effect('echo', {'feedback': 1.2}))
    with pytest.raises(InputError, match='number'): apply_effects(vowel, SR, Effect('echo', {'wet': float('nan')}))
    with pytest.raises(InputError, match='number'): apply_effects(vowel, SR, Effect('echo', {'wet': True}))
    with pytest.raises(InputError, match='silent'): apply_effects(np.zeros(SR, np.float32), SR, 'robot')
    with pytest.raises(InputError, match='NaN'): apply_effects(np.full(SR, np.nan, np.float32), SR, 'robot')
    with pytest.raises(InputError, match='mono'): apply_effects(np.stack([vowel, vowel], 1), SR, 'robot')
    for sr in (7999, 96001, 44100.0):
        with pytest.raises(InputError, match='8000'): apply_effects(vowel, sr, 'robot')


def test_merged_stretcher_limits(vowel):
    y = apply_effects(vowel, SR, [Effect('pitch', {'semitones': 5}), Effect('pitch', {'semitones': 7})])  # merged: one octave
    assert abs(estimate_f0(y, SR) / estimate_f0(vowel, SR) - 2) < 0.06
    with pytest.raises(InputError, match='36 semitones'):
        apply_effects(vowel, SR, [Effect('pitch', {'semitones': 24})] * 2)

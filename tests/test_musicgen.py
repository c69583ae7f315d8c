"MusicGen backend with a tiny random-weight model built here (no downloads)."
import math, sys
import numpy as np, pytest
from aistudio.core import InputError, BackendError, MissingExtraError
from aistudio.music import Section

import torch, transformers                          # the ml extra
from aistudio.musicgen import MusicGen, music_prompt, tokens_for


def _tiny(path):
    from transformers import (MusicgenConfig, MusicgenForConditionalGeneration, T5Config, EncodecConfig, MusicgenDecoderConfig,
                              MusicgenProcessor, EncodecFeatureExtractor, T5Tokenizer)
    from aistudio.music import MOOD_ALIASES
    words = 'cinematic film score instrumental bpm major minor'.split() + list(MOOD_ALIASES)
    tok = T5Tokenizer(vocab=[('<pad>', 0.0), ('</s>', 0.0), ('<unk>', 0.0)] + [('▁' + w, -1.0 - i / 100) for i, w in enumerate(words)]
                      + [(c, -5.0) for c in 'abcdefghijklmnopqrstuvwxyz0123456789,-'], extra_ids=0)
    text = T5Config(vocab_size=len(tok), d_model=16, d_ff=32, num_layers=1, num_heads=2, d_kv=8)
    audio = EncodecConfig(sampling_rate=16000, audio_channels=1, num_filters=4, codebook_size=32, codebook_dim=8, hidden_size=8,
                          upsampling_ratios=[8, 8, 5], num_lstm_layers=1, compress=1, num_residual_layers=1, kernel_size=3,
                          last_kernel_size=3, residual_kernel_size=3, target_bandwidths=[1.0])
    dec = MusicgenDecoderConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32, num_codebooks=2,
                                max_position_embeddings=2048, pad_token_id=32, bos_token_id=32)
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(), decoder=dec.to_dict()))
    with torch.no_grad():                          # untrained codebooks are all zeros: every code would decode alike
        for layer in model.audio_encoder.quantizer.layers: layer.codebook.embed.normal_()
    model.save_pretrained(path)
    MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(feature_size=1, sampling_rate=16000), tokenizer=tok).save_pretrained(path)
    return path


@pytest.fixture(scope='module')
def mg(tmp_path_factory):
    transformers.logging.set_verbosity_error()
    return MusicGen.from_pretrained(_tiny(tmp_path_factory.mktemp('m') / 'tiny'), device='cpu')


@pytest.fixture
def calls(mg, monkeypatch):
    "Record every model.generate call's max_new_tokens and decoded prompt."
    rec, orig = [], mg.model.generate
    def spy(**kw):
        rec.append((kw['max_new_tokens'], mg.processor.tokenizer.decode(kw["input_ids"][0], skip_special_tokens=True)))
        return orig(**kw)
    monkeypatch.setattr(mg.model, 'generate', spy)
    return rec


@pytest.mark.parametrize('duration, sr', [(0.5, 48000), (2.37, 44100), (4.0, 16000), (3.1, 22050)])
def test_exact_length_stereo_peak(mg, duration, sr):
    a = mg(mood='calm', duration=duration, sections=[(0, duration / 2, 'sad'), (duration / 2, duration, 'epic')], sample_rate=sr).audio
    assert a.shape == (round(duration * sr), 2) and a.dtype == np.float32
    assert np.isfinite(a).all() and 0.01 < np.abs(a).max() <= 0.89


def test_tokens_from_duration_and_frame_rate(mg, calls):
    "Each section asks for ceil(seconds * frame_rate) + (codebooks - 1) tokens, read from the audio encoder config, and the model's output covers it."
    assert mg.frame_rate == 50.0 and mg.num_codebooks == 2
    out = mg(mood='calm', duration=6.0, sections=[Section(0, 2.0, 'tense'), Section(2.0, 6.0, 'wonder')], sample_rate=48000)
    h = min(mg.xfade, 2.0 / 3) / 2                             # the crossfade is at most a third of the shorter neighbour
    want = [2.0 + h, 4.0 + h]                                  # each section overlaps half a crossfade into its neighbour
    assert [t for t, _ in calls] == [math.ceil(w * 50 - 1e-9) + 1 for w in want]
    assert 'tense' in calls[0][1] and 'wonder' in calls[1][1]  # one prompt per section, from its mood
    raw = mg.generate(music_prompt('calm'), 1.37)              # generated audio is long enough: cut, never padded
    assert raw.shape == (round(1.37 * 16000), 1) and np.abs(raw[-800:]).max() > 0
    assert tokens_for(1.37, 50, 4) == 72


def test_long_section_loops_within_max_chunk(mg, calls, monkeypatch):
    monkeypatch.setattr(mg, 'max_chunk', 1.0)
    a = mg(mood='epic', duration=3.5, seed=2).audio
    assert a.shape == (168000, 2) and [t for t, _ in calls] == [51]
    assert np.sqrt((a[-40000:-24000] ** 2).mean()) > 0.01     # the loop fills the section: no silent tail


def test_seeded_and_rng_untouched(mg):
    state = torch.random.get_rng_state()
    a, b = mg(mood='joyful', duration=1.5, seed=4).audio, mg(mood='joyful', duration=1.5, seed=4).audio
    c = mg(mood='joyful', duration=1.5, seed=5).audio
    assert np.array_equal(a, b) and not np.allclose(a, c)
    assert torch.equal(state, torch.random.get_rng_state())


def test_resampling_adds_no_images(mg):
    "16 kHz model audio at 48 kHz: under 1 % of the energy above 8.5 kHz (naive sample repetition puts ~10 % there)."
    x = mg.generate(music_prompt('tense'), 2.0, seed=1)[:, 0]
    from aistudio.musiclib import resample
    def high(y, sr):
        P = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2; f = np.fft.rfftfreq(len(y), 1 / sr)
        return P[f > 8500].sum() / P.sum()
    good, naive = high(resample(x, 16000, 48000), 48000), high(np.repeat(x, 3), 48000)
    print(f'energy above 8.5 kHz: ffmpeg resample {good:.4%}, naive {naive:.2%}')
    assert good < 0.01 and naive > 0.03


def test_errors(mg, tmp_path, monkeypatch):
    with pytest.raises(InputError, match='dtype'): MusicGen.from_pretrained(tmp_path, dtype='int8')
    with pytest.raises(BackendError, match='cannot load'): MusicGen.from_pretrained(tmp_path)
    with pytest.raises(InputError, match='seed'): mg(duration=1, seed=1.5)
    with pytest.raises(InputError, match='duration'): mg(duration=0)
    monkeypatch.setitem(sys.modules, 'torch', None)
    with pytest.raises(MissingExtraError, match=r"aistudio\[ml\]"): MusicGen.from_pretrained(tmp_path)

"Tests of the diffusers motion backend with tiny random-weight SVD, LTX-Video, CogVideoX, AnimateDiff and Wan image-to-video pipelines."
import importlib.machinery, json, os, sys, tempfile, time, types, warnings
from pathlib import Path
import numpy as np
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
torch = pytest.importorskip('torch')  # the `ml` extra; CI installs it
from PIL import Image
from aistudio.core import InputError, BackendError, MissingExtraError
from aistudio.film import Shot
from aistudio.media import ffmpeg_output, probe
from aistudio.videodiffusion import DiffusersMotion, KenBurnsFallback, VideoMotionOutput, detect_family, plan_windows, stitch

def _t5():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel
    words = ['<pad>', '</s>', '<unk>'] + 'a the of and in on at to with slow camera push pull pan over city night rain sea light woman man walks'.split()
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token='<unk>'))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    ft = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token='<pad>', eos_token='</s>', unk_token='<unk>', model_max_length=512)
    torch.manual_seed(0)
    return ft, T5EncoderModel(T5Config(vocab_size=len(words), d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4, pad_token_id=0, eos_token_id=1))

def _svd(out):
    from diffusers import StableVideoDiffusionPipeline, UNetSpatioTemporalConditionModel, EulerDiscreteScheduler, AutoencoderKLTemporalDecoder
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection, CLIPImageProcessor
    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=8, out_channels=4,
        down_block_types=('CrossAttnDownBlockSpatioTemporal', 'DownBlockSpatioTemporal'), up_block_types=('UpBlockSpatioTemporal', 'CrossAttnUpBlockSpatioTemporal'),
        cross_attention_dim=32, num_attention_heads=8, projection_class_embeddings_input_dim=96, addition_time_embed_dim=32, num_frames=5)
    vae = AutoencoderKLTemporalDecoder(block_out_channels=[32, 64], in_channels=3, out_channels=3, down_block_types=['DownEncoderBlock2D'] * 2, latent_channels=4)
    enc = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, projection_dim=32, num_hidden_layers=2, num_attention_heads=4, image_size=224,
                                                         intermediate_size=37, patch_size=32))
    sched = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule='scaled_linear', prediction_type='v_prediction', sigma_max=700.0,
                                   sigma_min=0.002, steps_offset=1, timestep_spacing='leading', timestep_type='continuous', use_karras_sigmas=True)
    StableVideoDiffusionPipeline(vae=vae, image_encoder=enc, unet=unet, scheduler=sched,
                                 feature_extractor=CLIPImageProcessor(crop_size=224, size=224)).save_pretrained(out)

def _ltx(out):
    from diffusers import LTXImageToVideoPipeline, LTXVideoTransformer3DModel, AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler
    torch.manual_seed(0)
    tr = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4, attention_head_dim=8,
                                    cross_attention_dim=32, num_layers=1, caption_channels=32)
    vae = AutoencoderKLLTXVideo(in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8,) * 4, decoder_block_out_channels=(8,) * 4,
        layers_per_block=(1,) * 5, decoder_layers_per_block=(1,) * 5, spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False), decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4,
        upsample_factor=(1,) * 4, timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False)
    tok, te = _t5()
    LTXImageToVideoPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=te, tokenizer=tok, transformer=tr).save_pretrained(out)

def _cog(out):
    from diffusers import CogVideoXImageToVideoPipeline, CogVideoXTransformer3DModel, AutoencoderKLCogVideoX, CogVideoXDDIMScheduler
    torch.manual_seed(0)
    tr = CogVideoXTransformer3DModel(num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4, time_embed_dim=2, text_embed_dim=32,
        num_layers=1, sample_width=4, sample_height=4, sample_frames=9, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=16,
        use_rotary_positional_embeddings=True, use_learned_positional_embeddings=True)
    vae = AutoencoderKLCogVideoX(in_channels=3, out_channels=3, down_block_types=('CogVideoXDownBlock3D',) * 4, up_block_types=('CogVideoXUpBlock3D',) * 4,
                                 block_out_channels=(8,) * 4, latent_channels=4, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)
    tok, te = _t5()
    CogVideoXImageToVideoPipeline(tokenizer=tok, text_encoder=te, vae=vae, transformer=tr, scheduler=CogVideoXDDIMScheduler()).save_pretrained(out)

def _clip_tokenizer():
    "A byte-level CLIP tokenizer written offline: the 256 byte symbols, no merges."
    from transformers import CLIPTokenizer
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('\u00a1'), ord('\u00ac') + 1)) + list(range(ord('\u00ae'), ord('\u00ff') + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256 + n); n += 1
    syms = [chr(c) for c in cs]
    vocab = {s: i for i, s in enumerate(syms + [s + '</w>' for s in syms] + ['<|startoftext|>', '<|endoftext|>'])}
    with tempfile.TemporaryDirectory() as t:
        (Path(t) / 'vocab.json').write_text(json.dumps(vocab)); (Path(t) / 'merges.txt').write_text('#version: 0.2\n')
        return CLIPTokenizer.from_pretrained(t, model_max_length=77), vocab

def _animatediff(out):
    "diffusers' AnimateDiff test shapes: an SD-style UNet2DConditionModel + MotionAdapter, 2-level VAE, 2-layer CLIP text encoder."
    from diffusers import AnimateDiffPipeline, MotionAdapter, UNet2DConditionModel, AutoencoderKL, DDIMScheduler
    from transformers import CLIPTextConfig, CLIPTextModel
    tok, vocab = _clip_tokenizer()
    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4, norm_num_groups=2,
        down_block_types=('CrossAttnDownBlock2D', 'DownBlock2D'), up_block_types=('CrossAttnUpBlock2D', 'UpBlock2D'), cross_attention_dim=32)
    vae = AutoencoderKL(block_out_channels=[32, 64], in_channels=3, out_channels=3, down_block_types=['DownEncoderBlock2D'] * 2,
                        up_block_types=['UpDecoderBlock2D'] * 2, latent_channels=4, norm_num_groups=2)
    te = CLIPTextModel(CLIPTextConfig(bos_token_id=vocab['<|startoftext|>'], eos_token_id=vocab['<|endoftext|>'], pad_token_id=1, hidden_size=32,
                                      intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, vocab_size=len(vocab)))
    adapter = MotionAdapter(block_out_channels=(32, 64), motion_layers_per_block=2, motion_norm_num_groups=2, motion_num_attention_heads=4)
    sched = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule='linear', clip_sample=False)
    AnimateDiffPipeline(unet=unet, motion_adapter=adapter, vae=vae, text_encoder=te, tokenizer=tok, scheduler=sched,
                        feature_extractor=None, image_encoder=None).save_pretrained(out)

def _wan(out):
    "diffusers' Wan image-to-video test shapes: WanTransformer3DModel, AutoencoderKLWan, a UMT5 encoder and a CLIP vision encoder."
    from diffusers import WanImageToVideoPipeline, WanTransformer3DModel, AutoencoderKLWan, FlowMatchEulerDiscreteScheduler
    from transformers import CLIPVisionConfig, CLIPVisionModel, CLIPImageProcessor, UMT5Config, UMT5EncoderModel
    tok, t5 = _t5()
    torch.manual_seed(0)
    te = UMT5EncoderModel(UMT5Config(vocab_size=t5.config.vocab_size, d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4, pad_token_id=0, eos_token_id=1))
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True])
    tr = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36, out_channels=16, text_dim=32,
        freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm='rms_norm_across_heads', rope_max_seq_len=32, image_dim=4)
    enc = CLIPVisionModel(CLIPVisionConfig(hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=32,
                                           intermediate_size=16, patch_size=1))
    WanImageToVideoPipeline(transformer=tr, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), text_encoder=te, tokenizer=tok,
                            image_encoder=enc, image_processor=CLIPImageProcessor(crop_size=32, size=32)).save_pretrained(out)

@pytest.fixture(scope='module')
def models(tmp_path_factory):
    "Tiny random pipelines saved as folders, built once."
    d = tmp_path_factory.mktemp('videomodels')
    for name, build in (('svd', _svd), ('ltx', _ltx), ('cog', _cog), ('animatediff', _animatediff), ('wan', _wan)): build(d / name)
    return d

@pytest.fixture(scope='module')
def svd(models, tmp_path_factory):
    return DiffusersMotion.from_pretrained(models / 'svd', steps=2, fps=8, resolution=32, overlap=2, out_dir=tmp_path_factory.mktemp('clips'))

def still(w=48, h=32, seed=0):
    "A smooth test still: gradients plus a soft blob, so neighbouring frames are comparable."
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    a = np.stack([x, y, 0.5 + 0.4 * np.exp(-((x - 0.4) ** 2 + (y - 0.3) ** 2) * 20)], -1)
    return Image.fromarray((a * 255).astype(np.uint8))

def decode(path):
    "All frames of a clip as uint8 (n, h, w, 3)."
    v = probe(path)['video']
    raw = ffmpeg_output(['-nostdin', '-i', str(path), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], what='decode')
    return np.frombuffer(raw, np.uint8).reshape(-1, v['height'], v['width'], 3)

SHOT = Shot(camera='push in', prompt='a woman walks in the rain at night')

def test_svd_clip_size_fps_frames_and_determinism(svd):
    out = svd((48, 32), shot=SHOT, shot_index=0, duration=1.0, seed=3, image=still())
    assert isinstance(out, VideoMotionOutput) and out.kind == 'video' and out.move is None and out.video.suffix == '.mp4'
    v = probe(out.video)['video']
    assert (v['codec'], v['width'], v['height'], v['fps']) == ('h264', 48, 32, 8.0)
    f = decode(out.video)
    assert len(f) == out.frames == 8                        # round(1.0 s * 8 fps)
    again = decode(svd((48, 32), shot=SHOT, shot_index=0, duration=1.0, seed=3, image=still()).video)
    other = decode(svd((48, 32), shot=SHOT, shot_index=0, duration=1.0, seed=4, image=still()).video)
    assert np.array_equal(f, again)                          # same seed: the same clip
    assert np.abs(f.astype(int) - other.astype(int)).mean() > 1.0   # another seed: another clip

def test_windows_stitched_exact_count_real_model(svd):
    calls = []
    out = svd((48, 32), shot=SHOT, shot_index=1, duration=2.375, seed=0, image=still(), callback=lambda d, t: calls.append((d, t)))
    f = decode(out.video).astype(np.float32)
    assert len(f) == out.frames == 19                        # round(2.375 * 8)
    sizes = out.info['windows']
    assert len(sizes) >= 3 and sizes == plan_windows(19, 5, 2)
    assert calls[-1] == (2 * len(sizes), 2 * len(sizes)) and [d for d, _ in calls] == list(range(1, len(calls) + 1))
    diff = np.abs(np.diff(f, axis=0)).mean(axis=(1, 2, 3))  # diff[i]: frame i -> i+1
    joins, k = [], 0
    for n in sizes[:-1]:
        k += n - 2; joins += [k - 1, k, k + 1]               # the steps into, inside and out of the crossfade
    joins = sorted(j for j in set(joins) if j < len(diff))
    inner = np.delete(diff, joins)
    print('join diffs', diff[joins].round(2), 'inner median', np.median(inner).round(2), 'max', inner.max().round(2))
    # random weights make noisy frames: the joins must stay within the frame-to-frame change seen inside windows
    assert diff[joins].max() <= 1.5 * inner.max()

class _Drift:
    """A stand-in video model: frame k is the conditioning image brightened by k * step (one window's motion). `offset` adds
    offset * j to window j: a model that does not reproduce its conditioning frame, i.e. a real jump at every join."""
    def __init__(self, offset=0.0, step=0.01): self.offset, self.step, self.images = offset, step, []
    def __call__(self, pipe, image=None, num_frames=1, height=32, width=32, callback_on_step_end=None, num_inference_steps=1, **kw):
        self.images.append(image)
        base = np.asarray(image, np.float32) / 255 + self.offset * len(self.images[1:])
        k = np.arange(num_frames, dtype=np.float32).reshape(-1, 1, 1, 1)
        for i in range(num_inference_steps): callback_on_step_end(pipe, i, 0, {})
        return type('Out', (), {'frames': [np.clip(base[None] + k * self.step, 0, 1)]})()

def _join_jump(motion, monkeypatch, offset):
    "Largest frame-to-frame change at the window joins divided by the median change elsewhere."
    img = Image.fromarray(np.full((32, 48, 3), 60, np.uint8))
    fake = _Drift(offset)
    monkeypatch.setattr(type(motion.pipe), '__call__', lambda self, **kw: fake(self, **kw))
    out = motion((48, 32), shot=SHOT, shot_index=0, duration=2.375, seed=0, image=img)
    monkeypatch.undo()
    f = decode(out.video).astype(np.float32)
    diff = np.abs(np.diff(f, axis=0)).mean(axis=(1, 2, 3))
    joins, k = [], 0
    for n in out.info['windows'][:-1]:
        k += n - motion.overlap; joins += [k - 1, k]
    inner = np.delete(diff, joins)
    return len(f), diff[joins].max() / np.median(inner), fake, out

def test_windows_chain_from_the_previous_window_no_jump(svd, monkeypatch):
    n, ratio, fake, out = _join_jump(svd, monkeypatch, 0.0)
    print('join / median step, chained:', round(ratio, 2))
    assert n == 19 and len(fake.images) == len(out.info['windows']) >= 3 and ratio < 2.0
    # every next window was given the frame where the overlap starts: a lighter still than the one before
    lum = [np.asarray(i, np.float32).mean() for i in fake.images]
    assert all(b > a for a, b in zip(lum, lum[1:]))
    n, ratio, _, _ = _join_jump(svd, monkeypatch, 0.1)  # the same check catches a model that drifts off its conditioning frame
    print('join / median step, 0.1 jump per window:', round(ratio, 2))
    assert ratio > 3

def test_crossfade_spreads_a_jump():
    a, b = np.zeros((6, 2, 2, 3), np.float32), np.ones((6, 2, 2, 3), np.float32)
    hard, soft = stitch([a, b], 0), stitch([a, b], 3)
    assert len(hard) == 12 and len(soft) == 9
    assert np.diff(hard[:, 0, 0, 0]).max() == 1.0 and abs(np.diff(soft[:, 0, 0, 0]).max() - 0.25) < 1e-6

@pytest.mark.parametrize('name,step', [('ltx', 8), ('cog', 4)])
def test_other_families_by_directory(models, tmp_path, name, step):
    m = DiffusersMotion.from_pretrained(models / name, steps=2, resolution=32, window=9, overlap=1, out_dir=tmp_path)
    assert m.family.name == {'ltx': 'ltx', 'cog': 'cogvideox'}[name] and m.window == 9
    # 2 s at the family's native rate: LTX 24 fps -> 48 frames, CogVideoX 8 fps -> 16 frames
    out = m((64, 64), shot=SHOT, shot_index=2, duration=2.0, seed=1, image=still(64, 64))
    v = probe(out.video)['video']
    f = decode(out.video)
    assert (v['width'], v['height'], v['fps']) == (64, 64, float(m.fps)) and len(f) == out.frames == round(2.0 * m.fps)
    assert all(n % step == 1 for n in out.info['windows'])
    again = decode(m((64, 64), shot=SHOT, shot_index=2, duration=2.0, seed=1, image=still(64, 64)).video)
    assert np.array_equal(f, again)
    assert 'svd' not in json.dumps(m.params()) and str(models) not in json.dumps(m.params())

def test_motion_strength_svd_changes_clip_and_is_ignored_elsewhere(models, svd, tmp_path):
    strong = DiffusersMotion.from_pretrained(models / 'svd', steps=2, fps=8, resolution=32, overlap=2, motion_strength=1.0, out_dir=tmp_path)
    a = decode(svd((48, 32), shot=SHOT, shot_index=0, duration=0.5, seed=0, image=still()).video).astype(int)
    b = decode(strong((48, 32), shot=SHOT, shot_index=0, duration=0.5, seed=0, image=still()).video).astype(int)
    assert np.abs(a - b).mean() > 0.5
    ltx = DiffusersMotion.from_pretrained(models / 'ltx', steps=1, resolution=32, window=9, motion_strength=0.3, out_dir=tmp_path)
    out = ltx((32, 32), shot=SHOT, shot_index=0, duration=0.2, seed=0, image=still(32, 32))
    assert any('motion_strength' in w for w in out.info['warnings'])

def test_long_prompt_truncated_with_warning(models, tmp_path):
    m = DiffusersMotion.from_pretrained(models / 'cog', steps=1, resolution=32, window=9, out_dir=tmp_path)
    out = m((32, 32), shot=Shot(prompt='a woman walks in the rain ' * 10), shot_index=0, duration=0.5, seed=0, image=still(32, 32))
    assert any('truncated' in w for w in out.info['warnings'])
    out = m((32, 32), shot=Shot(prompt='a city at night'), shot_index=0, duration=0.5, seed=0, image=still(32, 32))
    assert out.info['warnings'] == []

@pytest.mark.parametrize('size', [(0, 0), (100000, 100000), (33, 32), (48,), 'big'])
def test_bad_sizes_refused_before_model_work(svd, monkeypatch, size):
    monkeypatch.setattr(type(svd.pipe), '__call__', lambda *a, **k: pytest.fail('the model ran'))
    with pytest.raises(InputError, match='image_size'):
        svd(size, shot=SHOT, shot_index=0, duration=1.0, seed=0, image=still())

def test_bad_call_arguments(svd):
    for kw, msg in ((dict(image=None), 'image-to-video'), (dict(duration=0), 'duration'), (dict(seed=-1), 'seed'), (dict(duration=700), 'duration')):
        args = dict(shot=SHOT, shot_index=0, duration=1.0, seed=0, image=still()); args.update(kw)
        with pytest.raises(InputError, match=msg): svd((48, 32), **args)

def test_missing_path_and_not_a_pipeline(tmp_path):
    with pytest.raises(InputError, match=str(tmp_path / 'absent')): DiffusersMotion.from_pretrained(tmp_path / 'absent')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(InputError, match='model_index.json'): DiffusersMotion.from_pretrained(tmp_path / 'empty')
    (tmp_path / 'sd').mkdir(); (tmp_path / 'sd' / 'model_index.json').write_text('{"_class_name": "StableDiffusionPipeline"}')
    with pytest.raises(InputError, match='not a video pipeline'): DiffusersMotion.from_pretrained(tmp_path / 'sd')
    with pytest.raises(InputError, match='motion_strength'): DiffusersMotion.from_pretrained(tmp_path / 'sd', motion_strength=2)

def test_offline_hub_id_fails_fast_with_advice(monkeypatch, tmp_path):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1'); monkeypatch.setenv('HF_HOME', str(tmp_path))
    t = time.perf_counter()
    with pytest.raises(InputError, match=r'download it first.*local folder'):
        DiffusersMotion.from_pretrained('stabilityai/stable-video-diffusion-img2vid-xt')
    assert time.perf_counter() - t < 10

def test_fallback_to_kenburns(tmp_path):
    with pytest.warns(UserWarning, match='Ken Burns'):
        m = DiffusersMotion.from_pretrained(tmp_path / 'absent', fallback='kenburns')
    assert isinstance(m, KenBurnsFallback) and 'absent' in m.reason
    out = m((64, 36), shot=SHOT, shot_index=0, duration=2.0, seed=0, image=still())
    assert out.kind == 'kenburns' and out.move.end[2] > out.move.start[2]   # 'push in' zooms in

def test_out_of_memory_becomes_backend_error_with_advice(svd, monkeypatch):
    def oom(*a, **k): raise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 20.00 GiB')
    monkeypatch.setattr(type(svd.pipe), '__call__', oom)
    with pytest.raises(BackendError, match='cpu_offload=True.*vae_tiling=True'):
        svd((48, 32), shot=SHOT, shot_index=0, duration=1.0, seed=0, image=still())

def test_nan_frames_detected(svd, monkeypatch):
    real = type(svd.pipe).__call__
    def nan(self, *a, **k):
        out = real(self, *a, **k); out.frames[0][1] = np.nan; return out
    monkeypatch.setattr(type(svd.pipe), '__call__', nan)
    with pytest.raises(BackendError, match='NaN'):
        svd((48, 32), shot=SHOT, shot_index=0, duration=1.0, seed=0, image=still())

# --- AnimateDiff (text-to-video, FreeNoise for long shots) and Wan image-to-video ---

@pytest.fixture(scope='module')
def ftfy_stub():
    """Wan pipelines clean prompts with `ftfy`, which is not installed here (the lead adds it to the `ml` extra): an identity stand-in,
    put where diffusers' Wan module and `require('ftfy')` look for it."""
    import diffusers.pipelines.wan.pipeline_wan_i2v as wan_mod
    stub = types.ModuleType('ftfy'); stub.fix_text = lambda s: s; stub.__spec__ = importlib.machinery.ModuleSpec('ftfy', None)
    with pytest.MonkeyPatch.context() as mp:
        if 'ftfy' not in sys.modules or sys.modules['ftfy'] is None: mp.setitem(sys.modules, 'ftfy', stub)
        if not hasattr(wan_mod, 'ftfy'): mp.setattr(wan_mod, 'ftfy', sys.modules['ftfy'], raising=False)
        yield

def _spy(monkeypatch, pipe):
    "Record the keyword arguments of every pipeline call (the real pipeline still runs)."
    calls, real = [], type(pipe).__call__
    def wrapped(self, *a, **k):
        calls.append(k); return real(self, *a, **k)
    monkeypatch.setattr(type(pipe), '__call__', wrapped)
    return calls

@pytest.mark.parametrize('name,family', [('animatediff', 'animatediff'), ('wan', 'wan')])
def test_family_detected_from_model_index(models, name, family):
    index = json.loads((models / name / 'model_index.json').read_text())
    assert detect_family(index).name == family and detect_family(index).pipeline == index['_class_name']

@pytest.mark.slow
def test_animatediff_text_to_video_free_noise(models, tmp_path, monkeypatch):
    m = DiffusersMotion.from_pretrained(models / 'animatediff', steps=2, resolution=32, window=6, overlap=2, out_dir=tmp_path)
    assert m.family.name == 'animatediff' and m.fps == 8 and m.free_noise
    assert (m.pipe._free_noise_context_length, m.pipe._free_noise_context_stride) == (6, 4)
    calls, steps = _spy(monkeypatch, m.pipe), []
    out = m((48, 32), shot=SHOT, shot_index=0, duration=2.375, seed=5, image=still(), callback=lambda d, t: steps.append((d, t)))
    monkeypatch.undo()
    v = probe(out.video)['video']
    f = decode(out.video)
    assert (v['codec'], v['width'], v['height'], v['fps']) == ('h264', 48, 32, 8.0)
    assert len(f) == out.frames == 19                          # round(2.375 s * 8 fps)
    # at the joins: one pipeline call for all 19 frames (no crossfade afterwards), FreeNoise windows of 6 latent frames every 4
    assert len(calls) == 1 and calls[0]['num_frames'] == 19 and 'image' not in calls[0] and calls[0]['prompt'] == SHOT.prompt
    assert out.info['windows'] == [19] and out.info['context'] == (6, 4) and steps == [(1, 2), (2, 2)]
    assert any('still was not used' in w for w in out.info['warnings'])
    diff = np.abs(np.diff(f.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
    print('animatediff frame-to-frame change: min', diff.min().round(2), 'max', diff.max().round(2))
    assert diff.min() > 0.5                                    # no frozen or duplicated frames anywhere, joins included
    again = decode(m((48, 32), shot=SHOT, shot_index=0, duration=2.375, seed=5, image=still(64, 64)).video)
    assert np.array_equal(f, again)                            # same seed: the same clip (the unused still does not matter)
    other = decode(m((48, 32), shot=SHOT, shot_index=0, duration=2.375, seed=6).video)
    assert np.abs(f.astype(int) - other.astype(int)).mean() > 1.0
    short = m((48, 32), shot=SHOT, shot_index=0, duration=0.5, seed=5)   # shorter than one context window
    assert len(decode(short.video)) == short.frames == 4 and short.info['windows'] == [6] and short.info['warnings'] == []

@pytest.mark.slow
def test_wan_image_to_video_windows_chained(models, tmp_path, monkeypatch, ftfy_stub):
    m = DiffusersMotion.from_pretrained(models / 'wan', steps=2, resolution=32, window=9, overlap=1, out_dir=tmp_path)
    assert m.family.name == 'wan' and m.fps == 16 and not m.free_noise and m.multiple == 16
    calls = _spy(monkeypatch, m.pipe)
    out = m((64, 48), shot=SHOT, shot_index=3, duration=1.5, seed=2, image=still(64, 48))
    monkeypatch.undo()
    v = probe(out.video)['video']
    f = decode(out.video)
    assert (v['codec'], v['width'], v['height'], v['fps']) == ('h264', 64, 48, 16.0)
    assert len(f) == out.frames == 24                          # round(1.5 s * 16 fps)
    sizes = out.info['windows']
    assert sizes == plan_windows(24, 9, 1, 4) and len(sizes) == 3 and all(n % 4 == 1 for n in sizes)
    assert [c['num_frames'] for c in calls] == sizes and all(c['max_sequence_length'] == 512 for c in calls)
    assert out.info['generated_size'] == (48, 32)              # the 4:3 aspect at short side 32, multiples of 16 (VAE 8 x patch 2)
    # each next window starts from the previous window's frame where the overlap begins
    imgs = [np.asarray(c['image'], np.float32) for c in calls]
    assert all(i.shape == (32, 48, 3) for i in imgs) and np.abs(imgs[1] - imgs[0]).mean() > 5   # not the shot's still again
    diff = np.abs(np.diff(f.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
    joins = [j for j in (7, 8, 15, 16) if j < len(diff)]      # windows start at frames 8 and 16 (overlap 1)
    inner = np.delete(diff, joins)
    print('wan join diffs', diff[joins].round(2), 'inner median', np.median(inner).round(2), 'max', inner.max().round(2))
    assert diff[joins].max() <= 1.5 * inner.max()
    again = decode(m((64, 48), shot=SHOT, shot_index=3, duration=1.5, seed=2, image=still(64, 48)).video)
    other = decode(m((64, 48), shot=SHOT, shot_index=3, duration=1.5, seed=3, image=still(64, 48)).video)
    assert np.array_equal(f, again) and np.abs(f.astype(int) - other.astype(int)).mean() > 1.0
    with pytest.raises(InputError, match='image-to-video'):
        m((64, 48), shot=SHOT, shot_index=3, duration=1.5, seed=2)

def test_wan_without_ftfy_asks_for_it(models, monkeypatch):
    monkeypatch.setitem(sys.modules, 'ftfy', None)             # import ftfy fails, as where it is not installed
    with pytest.raises(MissingExtraError, match='ftfy'):
        DiffusersMotion.from_pretrained(models / 'wan', steps=2, resolution=32, window=9)

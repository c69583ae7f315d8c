"The diffusers painter, tested with a tiny random SD-1.5-style pipeline saved to and loaded from a folder (2 steps, 64x64, CPU)."
import os, subprocess, sys, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ['HF_HUB_OFFLINE'] = '1'
import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip('torch')   # the ml extra; CI installs it
pytest.importorskip('diffusers')
from aistudio.core import BackendError, InputError
from aistudio.diffusion import SCHEDULERS, DiffusersPainter, save_tiny_sd, shot_prompt
from aistudio.film import sample_film
from aistudio.visual import ProceduralPainter

FILM = sample_film()

@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    t = time.perf_counter(); d = save_tiny_sd(tmp_path_factory.mktemp('tiny') / 'tiny-sd')
    print(f"\ntiny model built and saved in {time.perf_counter() - t:.2f} s")
    return d

@pytest.fixture(scope='module')
def painter(model_dir):
    t = time.perf_counter()
    p = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu')
    print(f"\nload {time.perf_counter() - t:.2f} s")
    return p

def draw(p, seed=0, prompt='', w=64, h=64, **kw):
    return p(prompt, film=FILM, scene_index=0, shot_index=0, width=w, height=h, seed=seed, **kw)

def arr(o): return np.asarray(o.image if hasattr(o, 'image') else o, dtype=np.float64)
def mad(a, b): return float(np.abs(arr(a) - arr(b)).mean())

def test_no_heavy_import():
    code = "import sys, aistudio.diffusion; print('torch' in sys.modules, 'diffusers' in sys.modules)"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ['False', 'False']

def test_prompt_from_film():
    p = shot_prompt('a lamp flickers', FILM, 0, 0)
    assert p.startswith('a lamp flickers')
    sc = FILM.scenes[0]; looks = {c.name: c.look for c in FILM.characters}
    for name in sc.characters[:3]:
        if looks[name]: assert looks[name].split(',')[0].strip()[:15] in p
    assert 'palette' in p and 'mood' in p

def test_load_by_folder_and_determinism(painter, model_dir):
    a, b = draw(painter, 3), draw(painter, 3)
    assert a.image.size == (64, 64) and a.image.mode == 'RGB'
    assert np.array_equal(arr(a), arr(b))
    again = DiffusersPainter.from_pretrained(str(model_dir), steps=2, guidance=2.0, device='cpu')
    assert np.array_equal(arr(draw(again, 3)), arr(a))      # a second load from the folder draws the same pixels
    assert arr(a).std() > 5                                  # not a flat image

def test_distinct_seeds_and_prompts(painter):
    base = draw(painter, 0)
    d_seed = mad(base, draw(painter, 1))
    d_prompt = mad(base, draw(painter, 0, prompt='a red balloon over a snowy mountain'))
    print(f"\nmean abs diff: other seed {d_seed:.1f}, other prompt {d_prompt:.1f}")
    assert d_seed > 5 and d_prompt > 0.5

def test_batch_equals_one_by_one(painter):
    seeds = [11, 12, 13]
    t = time.perf_counter(); singles = [draw(painter, s) for s in seeds]; t1 = time.perf_counter() - t
    reqs = [dict(prompt='', film=FILM, scene_index=0, shot_index=0, width=64, height=64, seed=s) for s in seeds]
    t = time.perf_counter(); batch = painter.batch(reqs); t2 = time.perf_counter() - t
    rev = painter.batch(reqs[::-1])[::-1]
    diffs = [float(np.abs(arr(a) - arr(b)).max()) for a, b in zip(singles, batch)]
    print(f"\nper image at 64x64: one by one {t1 / 3:.3f} s, batched {t2 / 3:.3f} s; max pixel diff batch vs single {diffs}")
    assert max(diffs) <= 2
    assert all(float(np.abs(arr(a) - arr(b)).max()) <= 2 for a, b in zip(batch, rev))   # batch mates do not matter
    assert mad(batch[0], batch[1]) > 5

def test_size_rounded_and_restored(painter):
    o = draw(painter, 0, w=70, h=50)
    assert o.image.size == (70, 50) and o.info['drawn_size'] == (72, 48)

def vae_round_trip(p, img):
    "The reference as the model can see it: through its own VAE (a random tiny VAE cannot reproduce pixels)."
    ip, vae = p.pipe.image_processor, p.pipe.vae
    with torch.no_grad(): x = vae.decode(vae.encode(ip.preprocess(img)).latent_dist.mean).sample
    return Image.fromarray((ip.postprocess(x, output_type='np')[0] * 255).round().astype(np.uint8))

def test_reference_img2img_moves_towards_reference(painter):
    ref = ProceduralPainter()('', film=FILM, scene_index=0, shot_index=0, width=64, height=64, seed=5).image
    seen = vae_round_trip(painter, ref)
    free, guided = draw(painter, 4), draw(painter, 4, reference=ref, strength=0.5)
    strong = draw(painter, 4, reference=ref, strength=1.0)
    d_free, d_guided, d_strong = mad(free, seen), mad(guided, seen), mad(strong, seen)
    print(f"\nmean abs diff to the reference through the VAE: text2image {d_free:.1f}, img2img 0.5 {d_guided:.1f}, img2img 1.0 {d_strong:.1f}")
    assert guided.info['mode'] == 'img2img' and guided.info['strength'] == 0.5
    assert d_guided < 0.7 * d_free and d_guided < d_strong
    assert mad(draw(painter, 9, reference=ref, strength=0.5), seen) < 0.7 * mad(draw(painter, 9), seen)
    assert painter._img2img.unet is painter.pipe.unet       # no second copy of the weights

@pytest.mark.parametrize('name', ['euler', 'euler-a', 'dpm++', 'ddim', 'lcm', 'unipc'])
def test_schedulers(model_dir, name):
    p = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu', scheduler=name)
    assert type(p.pipe.scheduler).__name__ == SCHEDULERS[name][0]
    assert p.params()['scheduler'] == name
    o = draw(p, 0)
    assert np.isfinite(arr(o)).all() and arr(o).std() > 1

def test_scheduler_changes_pixels_and_bad_name(model_dir, painter):
    p = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu', scheduler='euler-a')
    assert mad(draw(p, 0), draw(painter, 0)) > 0.3           # random weights: the schedule moves pixels only a little
    with pytest.raises(InputError, match='unknown scheduler'): DiffusersPainter.from_pretrained(model_dir, scheduler='nope')
    with pytest.raises(InputError, match='flow-euler'): DiffusersPainter.from_pretrained(model_dir, scheduler='flow-euler')

def test_callback_steps(painter):
    seen = []; draw(painter, 0, callback=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 2), (2, 2)]
    seen.clear(); ref = Image.new('RGB', (64, 64), (200, 30, 30))
    draw(painter, 0, reference=ref, strength=0.5, callback=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 1)]                                   # img2img runs int(2 * 0.5) = 1 step

def test_params(painter, model_dir, tmp_path):
    p = painter.params()
    assert str(model_dir) not in str(p) and p['model'] == 'tiny-sd'
    other = DiffusersPainter.from_pretrained(model_dir, steps=3, guidance=5.0, device='cpu', scheduler='ddim', negative_prompt='blurry')
    q = other.params()
    for k in ('steps', 'guidance', 'scheduler', 'negative_prompt'): assert p[k] != q[k], k
    assert p['fingerprint'] == q['fingerprint']
    twin = DiffusersPainter.from_pretrained(save_tiny_sd(tmp_path / 'tiny-sd', seed=1), steps=2, guidance=2.0, device='cpu')
    assert twin.params()['model'] == p['model'] and twin.params()['fingerprint'] != p['fingerprint']

def test_negative_prompt_changes_pixels(painter):
    o = draw(painter, 0, negative_prompt='blurry, dark, text')
    assert o.info['negative_prompt'] == 'blurry, dark, text' and mad(o, draw(painter, 0)) > 0.5

def test_long_prompt_truncated_with_warning(painter):
    long = ' '.join(f'word{i}' for i in range(200))
    o = draw(painter, 0, prompt=long)
    assert o.info['warnings'] and 'cut' in o.info['warnings'][0]
    n = len(painter.pipe.tokenizer(o.info['prompt'], add_special_tokens=False).input_ids)
    assert 60 <= n <= 75 and o.info['prompt'].startswith('word0 word1')

def test_bad_sizes_before_model_work(painter, monkeypatch):
    def boom(*a, **k): raise AssertionError('the model ran')
    monkeypatch.setattr(painter.pipe.unet, 'forward', boom)
    for w, h in ((0, 0), (100000, 100000), (64, 0), (64.0, 64)):
        with pytest.raises(InputError, match='width|height'): draw(painter, 0, w=w, h=h)
    for bad in (dict(seed=-1), dict(strength=0), dict(reference='x.png')):
        kw = dict(prompt='', film=FILM, scene_index=0, shot_index=0, width=64, height=64, seed=0) | bad
        with pytest.raises(InputError): painter(**kw)
    with pytest.raises(InputError, match='request 1'):
        painter.batch([dict(film=FILM, scene_index=0, shot_index=0, width=64, height=64, seed=0),
                       dict(film=FILM, scene_index=0, shot_index=9, width=64, height=64, seed=0)])

def test_missing_path_and_offline_hub_id(tmp_path, monkeypatch):
    missing = tmp_path / 'no' / 'such-model'
    with pytest.raises(InputError, match='such-model'): DiffusersPainter.from_pretrained(missing)
    with pytest.raises(InputError, match='model_index.json'): DiffusersPainter.from_pretrained(tmp_path)
    monkeypatch.setenv('HF_HOME', str(tmp_path / 'hf')); monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'hf' / 'hub'))
    t = time.perf_counter()
    with pytest.raises(InputError, match='download') as e: DiffusersPainter.from_pretrained('some-org/some-model', device='cpu')
    assert 'some-org/some-model' in str(e.value) and time.perf_counter() - t < 20

def test_out_of_memory_advice(painter, monkeypatch):
    def oom(*a, **k): raise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 20.00 GiB')
    monkeypatch.setattr(painter.pipe.unet, 'forward', oom)
    with pytest.raises(BackendError) as e: draw(painter, 0)
    for word in ('out of GPU memory', 'cpu_offload', 'vae_tiling', 'size'): assert word in str(e.value)

def test_nan_output_is_an_error(model_dir):
    p = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu')
    with torch.no_grad(): p.pipe.vae.decoder.conv_out.bias.fill_(float('nan'))
    with pytest.raises(BackendError, match='NaN'): draw(p, 0)

def test_options(model_dir):
    with pytest.raises(InputError, match='CUDA'): DiffusersPainter.from_pretrained(model_dir, device='cpu', cpu_offload=True)
    with pytest.raises(InputError, match='dtype'): DiffusersPainter.from_pretrained(model_dir, device='cpu', dtype='int8')
    with pytest.raises(InputError, match='attention'): DiffusersPainter.from_pretrained(model_dir, device='cpu', attention='no-such-backend')
    eager = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu', attention='eager')
    sdpa = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu', attention='sdpa')
    assert type(next(iter(eager.pipe.unet.attn_processors.values()))).__name__ == 'AttnProcessor'
    assert float(np.abs(arr(draw(eager, 0)) - arr(draw(sdpa, 0))).max()) <= 2   # same maths, another kernel
    tiled = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu', vae_tiling=True)
    assert tiled.pipe.vae.use_tiling and tiled.params()['vae_tiling'] and not sdpa.params()['vae_tiling']
    o = draw(tiled, 0, w=128, h=96)                                  # the tiny VAE tiles above 32 px
    assert o.image.size == (128, 96) and np.isfinite(arr(o)).all() and arr(o).std() > 1
    comp = DiffusersPainter.from_pretrained(model_dir, steps=2, device='cpu', compile=True)
    assert comp.pipe.unet._compiled_call_impl is not None   # compiled lazily, on first use

def test_bfloat16(model_dir):
    p = DiffusersPainter.from_pretrained(model_dir, steps=2, guidance=2.0, device='cpu', dtype='bf16')
    assert p.params()['dtype'] == 'bfloat16' and p.pipe.unet.dtype == torch.bfloat16
    o = draw(p, 0)
    assert np.isfinite(arr(o)).all() and arr(o).std() > 1

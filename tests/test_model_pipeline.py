"""The film pipeline with model backends switched on by settings: a tiny random-weight diffusers painter (conditioned on
character reference sheets) and a tiny Stable Video Diffusion motion model, loaded from folders; no downloads."""
import hashlib, json, os
import numpy as np
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
torch = pytest.importorskip('torch')          # the `ml` extra; CI installs it
from test_videodiffusion import _svd
from aistudio.diffusion import save_tiny_sd
from aistudio.edit import count_frames, extract_frame
from aistudio.pipeline import make_film

PHRASE = 'a lighthouse keeper befriends a storm'

@pytest.fixture(scope='module')
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp('models')
    save_tiny_sd(d / 'sd'); _svd(d / 'svd')
    return d

def _film(out, **kw):
    return make_film(PHRASE, profile='test', seconds=6, out=out, progress='none', art_resolution=144, **kw)

@pytest.mark.slow
def test_diffusers_painter_and_video_motion_make_a_film(models, tmp_path):
    r = _film(tmp_path / 'a', painter='diffusers', painter_model=str(models / 'sd'), steps=2, painter_guidance=1.0, consistency_attempts=0,
              motion='diffusers', motion_model=str(models / 'svd'), motion_resolution=32, motion_window=5, motion_fps=2)
    rep = r.report
    assert rep['backends']['painter']['name'] == 'diffusers' and rep['backends']['motion']['name'] == 'diffusers'
    assert rep['cache']['misses']['reference'] >= 1 and rep['consistency']        # sheets made, shots scored against them
    film = json.loads((r.run_dir / 'film.json').read_text())
    assert len(r.film.scenes) >= 2
    # every shot was animated by the video model: its clip is in the store and the film has every frame the timeline planned
    videos = [p for p in (r.run_dir / '.store' / 'objects').rglob('*.mp4')]
    assert len(videos) >= sum(len(sc.shots) for sc in r.film.scenes)
    assert count_frames(r.video) == round(rep['planned_duration'] * rep['fps'])
    a = np.asarray(extract_frame(r.video, 1.0), np.float32)
    assert a.std() > 3                                   # a picture, not a blank
    # the same settings again: everything from the cache, the same bytes
    again = _film(tmp_path / 'a', painter='diffusers', painter_model=str(models / 'sd'), steps=2, painter_guidance=1.0, consistency_attempts=0,
                  motion='diffusers', motion_model=str(models / 'svd'), motion_resolution=32, motion_window=5, motion_fps=2)
    assert again.report['cache']['misses'] == {}

@pytest.mark.slow
def test_references_condition_the_diffusers_painter(models, tmp_path):
    "With reference sheets on, a shot with a character is painted from its sheet (img2img), so it differs from the unconditioned shot."
    kw = dict(painter='diffusers', painter_model=str(models / 'sd'), steps=2, painter_guidance=1.0, consistency_threshold=0.0)
    on, off = _film(tmp_path / 'on', **kw), _film(tmp_path / 'off', references=False, **kw)
    shots = [(i, k) for i, sc in enumerate(on.film.scenes) if sc.characters for k in range(len(sc.shots))]
    assert shots
    i, k = shots[0]
    a = np.asarray(__import__('PIL.Image', fromlist=['Image']).open(on.run_dir / on.film.scenes[i].shots[k].assets['image']), np.float32)
    b = np.asarray(__import__('PIL.Image', fromlist=['Image']).open(off.run_dir / off.film.scenes[i].shots[k].assets['image']), np.float32)
    assert np.abs(a - b).mean() > 1.0
    assert off.report['cache']['misses'].get('reference') is None

def test_a_missing_video_model_falls_back_to_ken_burns_with_a_warning(tmp_path):
    r = _film(tmp_path / 'a', motion='diffusers', motion_model=str(tmp_path / 'no-such-model'))
    assert any('Ken Burns' in w and 'no-such-model' in w for w in r.report['warnings']), r.report['warnings']
    assert count_frames(r.video) == round(r.report['planned_duration'] * r.report['fps'])

def test_a_missing_image_model_is_a_clear_error_before_anything_is_painted(tmp_path):
    from aistudio.core import InputError
    with pytest.raises(InputError, match='no-such-model'):
        _film(tmp_path / 'a', painter='diffusers', painter_model=str(tmp_path / 'no-such-model'))
    assert not (tmp_path / 'a' / 'film.mp4').exists()

"Ken Burns edge cases and the cost of rendering a minute of 1280x720 with the filter."
import resource, subprocess, tempfile
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from aistudio.core import InputError
from aistudio.film import Shot
from aistudio.media import ffmpeg_exe
from aistudio.motion import KenBurns, KenBurnsMove, kenburns_filter

def _inside(move):
    for t in np.linspace(0, 1, 201):
        cx, cy, z = move.at(t); h = 0.5 / z
        assert z >= 1 and h - 1e-9 <= cx <= 1 - h + 1e-9 and h - 1e-9 <= cy <= 1 - h + 1e-9, (move, t)

@pytest.mark.parametrize('camera', ['push in, pan right', 'pull back and tilt up', 'zoom out pan left tilt down', 'static push in', 'hold', '', 'over the shoulder'])
@pytest.mark.parametrize('duration', [0.5, 4.0, 60.0])
def test_moves_stay_inside(camera, duration):
    kb = KenBurns(zoom=2.5, drift=1.0)
    for seed in range(5): _inside(kb((1920, 1080), shot=Shot(camera or 'wide', '', 4.0), shot_index=seed, duration=duration, seed=seed).move)

def test_bad_inputs():
    kb = KenBurns()
    with pytest.raises(InputError, match='image_size'): kb((640.0, 360), shot=Shot(), shot_index=0, duration=4.0, seed=0)
    with pytest.raises(InputError, match='shot must be'): kb((640, 360), shot='pan left', shot_index=0, duration=4.0, seed=0)
    with pytest.raises(InputError, match='zoom must be'): KenBurns(zoom=1.0)
    with pytest.raises(InputError, match='no model'): KenBurns.from_pretrained('x')
    with pytest.raises(InputError, match='fps'): kenburns_filter(KenBurnsMove((0.5, 0.5, 1), (0.5, 0.5, 1)), 64, 64, 32, 32, 10, 0)

def test_other_aspect_is_cropped_not_stretched(tmp_path):
    "A square still filmed at 16:9 fills the frame; the disc in its centre stays round."
    im = Image.new('RGB', (400, 400), (0, 0, 0)); from PIL import ImageDraw
    ImageDraw.Draw(im).ellipse((150, 150, 250, 250), fill=(255, 255, 255)); im.save(tmp_path / 's.png')
    vf = kenburns_filter(KenBurnsMove((0.5, 0.5, 1), (0.5, 0.5, 1)), 400, 400, 320, 180, 2, 24)
    r = subprocess.run([ffmpeg_exe(), '-v', 'error', '-i', str(tmp_path / 's.png'), '-vf', vf, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], capture_output=True)
    f = np.frombuffer(r.stdout, np.uint8).reshape(-1, 180, 320)[0] > 128
    ys, xs = np.nonzero(f)
    assert abs((xs.max() - xs.min()) - (ys.max() - ys.min())) <= 2

@pytest.mark.slow
def test_a_minute_of_720p_is_cheap(tmp_path):
    "60 s of 1280x720 at 24 fps through the filter (no encoding): CPU seconds of the ffmpeg process."
    Image.effect_noise((1920, 1080), 60).convert('RGB').save(tmp_path / 'still.png')
    vf = kenburns_filter(KenBurnsMove((0.3, 0.6, 1.0), (0.6, 0.45, 1.2)), 1920, 1080, 1280, 720, 1440, 24)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run([ffmpeg_exe(), '-v', 'error', '-loop', '1', '-i', str(tmp_path / 'still.png'), '-vf', vf, '-f', 'null', '-'], capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert r.returncode == 0, r.stderr[-500:]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f'kenburns 60 s 1280x720: {cpu:.1f} s CPU')
    assert cpu < 30

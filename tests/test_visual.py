"Edge cases of the procedural painter the notebook does not show: every setting, time and weather, odd shapes, crowds."
import itertools
import numpy as np
import pytest
from PIL import Image
from aistudio.core import InputError
from aistudio.film import Character, Film, Scene, Shot, sample_film, validate
from aistudio.visual import ProceduralPainter, contact_sheet, plan_shot

SETTINGS = {'sea': 'EXT. HARBOUR', 'forest': 'EXT. FOREST', 'city': 'EXT. CITY STREET', 'mountains': 'EXT. MOUNTAIN PASS',
            'field': 'EXT. COUNTRY ROAD', 'interior': 'INT. KITCHEN'}
WEATHER = {'clear': '', 'storm': 'a storm', 'rain': 'in the rain', 'snow': 'snow falling', 'fog': 'thick fog'}

def film_with(heading, tod, prompt, camera='wide', chars=('A',)):
    people = [Character('A', 30, 'female', 'red coat'), Character('B', 8, 'male', 'blue cap'), Character('C', 80, 'male', 'bald, green jacket'),
              Character('MIST', 40, 'neutral', 'a white cloud')]
    sc = Scene(f'{heading} - {tod.upper()}', heading.split('. ')[1].lower(), tod, 'calm', '', 4.0, [Shot(camera, prompt, 4.0)], [], list(chars))
    return validate(Film('T', palette=['#223344', '#eeddcc'], characters=people, scenes=[sc]))

@pytest.mark.parametrize('setting,tod,weather', list(itertools.product(SETTINGS, ('dawn', 'day', 'dusk', 'night'), WEATHER)))
def test_every_setting_time_and_weather(setting, tod, weather):
    f = film_with(SETTINGS[setting], tod, WEATHER[weather], chars=('A', 'MIST'))
    out = ProceduralPainter()('', film=f, scene_index=0, shot_index=0, width=96, height=54, seed=0)
    assert out.image.size == (96, 54) and out.image.mode == 'RGB'
    assert (out.info['setting'], out.info['weather'], out.info['time']) == (setting, weather, tod)
    assert np.asarray(out.image).std() > 3  # a picture, not a flat colour

@pytest.mark.parametrize('size', [(16, 16), (16, 1024), (1024, 16), (17, 31), (1080, 1920), (333, 333)])
@pytest.mark.parametrize('setting', list(SETTINGS))
def test_odd_shapes(size, setting):
    f = film_with(SETTINGS[setting], 'day', '', camera='close', chars=('A', 'B', 'C'))
    assert ProceduralPainter()('', film=f, scene_index=0, shot_index=0, width=size[0], height=size[1], seed=5).image.size == size

@pytest.mark.parametrize('camera', ['extreme close-up', 'close', 'medium two shot', 'full', 'wide', 'extreme wide', 'low angle', 'overhead'])
def test_framings_and_crowds(camera):
    f = film_with('EXT. CITY STREET', 'night', 'rain', camera=camera, chars=('A', 'B', 'C', 'MIST'))
    out = ProceduralPainter()('', film=f, scene_index=0, shot_index=0, width=160, height=90, seed=2)
    assert set(out.info['figures']) == {'A', 'B', 'C', 'MIST'}
    for x0, y0, x1, y1 in out.info['figures'].values(): assert 0 <= x0 <= x1 <= 160 and 0 <= y0 <= y1 <= 90

def test_figure_size_follows_framing():
    def height(camera):
        f = film_with('EXT. COUNTRY ROAD', 'day', '', camera=camera)
        x0, y0, x1, y1 = ProceduralPainter()('', film=f, scene_index=0, shot_index=0, width=320, height=180, seed=0).info['figures']['A']
        return x1 - x0
    assert height('extreme wide') < height('wide') < height('full') < height('medium') < height('close')

def test_no_characters_and_no_palette():
    f = film_with('EXT. FOREST', 'dusk', '', chars=())
    f.palette = []
    out = ProceduralPainter(grain=0, vignette=0)('', film=f, scene_index=0, shot_index=0, width=64, height=64, seed=0)
    assert out.info['figures'] == {} and out.image.size == (64, 64)

def test_bad_inputs():
    f, p = sample_film(), ProceduralPainter()
    for kw, msg in [(dict(width=True), 'whole number'), (dict(seed=-1), 'seed'), (dict(scene_index='0'), 'scene_index'), (dict(film='x'), 'film must be a Film')]:
        args = {**dict(film=f, scene_index=0, shot_index=0, width=64, height=64, seed=0), **kw}
        with pytest.raises(InputError, match=msg): p('', **args)
    with pytest.raises(InputError, match='grain'): ProceduralPainter(grain=2)
    with pytest.raises(InputError, match='thumb_width'): contact_sheet([Image.new('RGB', (8, 8))], ['x'], thumb_width=8)

def test_look_words_name_the_right_part():
    from aistudio.visual import figure_style, _COLOURS
    st = figure_style(Character('Z', 70, 'female', 'old farmer, a grey braid, a long blue coat, tall'))
    assert (st['hair'], st['hair_style'], st['coat']) == (_COLOURS['grey'], 'braid', _COLOURS['blue']) and st['height'] > 0.97
    st = figure_style(Character('J', 34, 'male', 'black beard, short red hair, blue jacket, brown boots'))
    assert (st['hair'], st['hair_style'], st['coat'], st['legs']) == (_COLOURS['red'], 'short', _COLOURS['blue'], _COLOURS['brown']) and st['beard']
    assert figure_style(Character('MOON', 30, 'neutral', 'the moon as a living character'))['kind'] == 'glow'
    assert figure_style(Character('SEA', 30, 'neutral', 'the sea as a living character'))['kind'] == 'cloud'

def test_plan_reads_description_then_phrase():
    f = film_with('INT. ROOM', 'day', '')
    assert plan_shot('', f, 0, 0)['outside'] == 'field'
    f.phrase = 'a sailor at sea'
    assert plan_shot('', f, 0, 0)['outside'] == 'sea'
    f.scenes[0].description = 'The forest presses against the glass.'
    assert plan_shot('', f, 0, 0)['outside'] == 'forest'

def test_contact_sheet_mixed_shapes_and_unicode_labels():
    ims = [Image.new('RGB', (160, 90), 'red'), Image.new('RGB', (90, 160), 'blue'), Image.new('L', (50, 50), 128)]
    sheet = contact_sheet(ims, ['عاصفة 🌩️', '', 'x' * 400], columns=3, thumb_width=100)
    assert sheet.mode == 'RGB' and sheet.width == 4 + 3 * (100 + 4)

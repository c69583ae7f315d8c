"""`aistudio make` with a profile that asks for avatars (`avatars = cuts`): dialogue scenes become talking avatars over their
still, a close-up of whoever speaks; scenes without dialogue are filmed as before."""
import numpy as np
import pytest
from aistudio import media
from aistudio.avatar import dna_from_character
from aistudio.edit import extract_frame
from aistudio.pipeline import make_film, plan_timeline

PHRASE = 'a lighthouse keeper befriends a storm'

@pytest.fixture(scope='module')
def films(tmp_path_factory):
    d = tmp_path_factory.mktemp('avatars')
    kw = dict(seconds=20, progress='none', resolution=360, art_resolution=360, fps=12)
    return make_film(PHRASE, profile='podcast', out=d / 'cuts', **kw), make_film(PHRASE, profile='dev', out=d / 'plain', **kw)

def _skin_share(frame, colour):
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float32)
    return float((np.abs(np.asarray(frame, np.float32) - c).max(-1) < 18).mean())

def test_each_line_shows_its_speaker_in_close_up(films):
    cuts, plain = films
    assert cuts.report['checks']['problems'] == [], cuts.report['checks']['problems']
    durs = {(i, j): media.probe(cuts.run_dir / ln.assets['audio'])['duration'] for i, sc in enumerate(cuts.film.scenes) for j, ln in enumerate(sc.lines)}
    timeline = plan_timeline(cuts.film, durs, cuts.report['fps'])
    checked = 0
    for i, (sc, t) in enumerate(zip(cuts.film.scenes, timeline)):
        for j, ln in enumerate(sc.lines):
            if ln.dual or durs[(i, j)] < 0.6: continue
            mid = t.start + t.line_starts[j] + durs[(i, j)] / 2
            skin = dna_from_character(cuts.film.character(ln.speaker), cuts.film.seed).skin
            here, before = _skin_share(extract_frame(cuts.video, mid), skin), _skin_share(extract_frame(plain.video, mid), skin)
            assert here > 0.04 and here > 3 * before, (i, j, ln.speaker, here, before)
            checked += 1
    assert checked >= 2

def test_scenes_without_dialogue_are_unchanged(films):
    cuts, plain = films
    silent = [i for i, sc in enumerate(cuts.film.scenes) if not sc.lines]
    talking = [i for i, sc in enumerate(cuts.film.scenes) if sc.lines]
    assert talking
    for i, sc in enumerate(cuts.film.scenes):
        a = cuts.report['scenes'][i]; b = plain.report['scenes'][i]
        assert a == b                                   # same timing either way
    for i in silent:
        t = cuts.report['scenes'][i]['start'] + cuts.report['scenes'][i]['duration'] / 2
        assert np.abs(np.asarray(extract_frame(cuts.video, t), np.float32) - np.asarray(extract_frame(plain.video, t), np.float32)).mean() < 2

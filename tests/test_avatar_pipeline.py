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

def test_a_language_model_writer_fills_the_actor_dna(tmp_path, monkeypatch):
    "With writer = openai, each speaking character's DNA comes from the model (a real loopback server), once, and is what is drawn."
    from chat_server import ChatServer, reply
    from aistudio.film import sample_film
    monkeypatch.setenv('AISTUDIO_TEST_LLM_KEY', 'sk-test-key-123')
    blue = '#3050d0'                                          # a skin no rule would choose: only the model can have put it there
    def answer(body):
        user = body['messages'][-1]['content']
        assert 'actor' in body['messages'][0]['content']
        return reply('{"skin": "%s", "hair_style": "bald", "face_width": 1.1}' % blue if 'MARA' in user else '{"top": "#d03030"}')
    film = sample_film()
    with ChatServer(answer) as srv:
        kw = dict(film=film, profile='podcast', progress='none', resolution=360, art_resolution=360, fps=12, writer='openai',
                  writer_model='m', writer_base_url=srv.url, writer_api_key_env='AISTUDIO_TEST_LLM_KEY')
        r = make_film(out=tmp_path / 'a', **kw)
        asked = len(srv.requests)
        again = make_film(out=tmp_path / 'a', **kw)
        assert len(srv.requests) == asked                     # the second run asked nothing: the DNA came from the cache
    assert r.report['cache']['misses']['dna'] == asked == len({n for sc in film.scenes if sc.lines for n in [l.speaker for l in sc.lines] + sc.characters})
    assert again.report['cache']['misses'] == {}
    durs = {(i, j): media.probe(r.run_dir / ln.assets['audio'])['duration'] for i, sc in enumerate(r.film.scenes) for j, ln in enumerate(sc.lines)}
    timeline = plan_timeline(r.film, durs, 12)
    i, j = next((i, j) for i, sc in enumerate(r.film.scenes) for j, ln in enumerate(sc.lines) if ln.speaker == 'MARA')
    mid = timeline[i].start + timeline[i].line_starts[j] + durs[(i, j)] / 2
    assert _skin_share(extract_frame(r.video, mid), blue) > 0.04
    assert 'sk-test-key-123' not in (r.run_dir / 'report.json').read_text()

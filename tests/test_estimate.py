"Counts and costs of film estimates against films built here, priced profiles in a temporary settings file, and faults."
import math
import pytest
from conftest import ROOT
from aistudio.core import InputError, SettingsError
from aistudio.estimate import CHARS_PER_TOKEN, PROMPT_TOKENS, PRICED, Estimate, estimate_film, estimate_phrase, is_embedded, writer_tokens
from aistudio.film import Line, film_to_json, sample_film
from aistudio.registry import register_backend
from aistudio.script import StoryGrammarWriter, estimate_speech_seconds
from aistudio.settings import PACKAGED, load_settings


class PaidBackend:
    "Stands for a model backend (not embedded): only its name matters to an estimate."
    name, version = 'paid', '1'

for _stage in ('painter', 'motion', 'music'): register_backend(_stage, 'test-paid', PaidBackend)

PRICES = dict(price_writer=0.6, price_painter=0.04, price_motion=0.05, price_voice=15.0, price_music=1.2)


def _ini(tmp_path, body: str):
    p = tmp_path / 'settings.ini'
    p.write_text(body)
    return p


def _priced(tmp_path, **backends):
    lines = ['[priced]', *(f'{k} = {v}' for k, v in {**PRICES, **backends}.items()), 'currency = EUR', '']
    return load_settings(profile='priced', path=_ini(tmp_path, '\n'.join(lines)))


def _expected_runtime(film, fps, rate=1.0):
    "The pipeline's rule, written out independently: a scene lasts its planned frames, or what its dialogue needs."
    total = 0
    for sc in film.scenes:
        frames = max(1, round(sc.target_duration * fps))
        speech = [estimate_speech_seconds(l.text) / rate for l in sc.lines]
        if speech:
            need = sum(speech) + 0.25 * (len(speech) - 1) + 0.6 + 0.6
            frames = max(frames, math.ceil(need * fps - 1e-9))
        total += frames
    return total / fps


def test_sample_film_counts():
    f = sample_film()
    e = estimate_film(f, load_settings('dev', path=PACKAGED))
    assert (e.scenes, e.images, e.clips, e.voice_lines, e.writer_tokens) == (2, 2, 2, 2, 0)
    assert e.runtime == e.music_seconds == f.duration == 12.0
    assert e.clip_seconds == 12.0
    assert e.voice_characters == sum(len(l.text) for _, _, l in f.lines())
    assert e.voice_seconds == pytest.approx(sum(estimate_speech_seconds(l.text) for _, _, l in f.lines()))
    assert e.backends == {'writer': 'story-grammar', 'painter': 'procedural', 'motion': 'kenburns', 'voice': 'piper', 'music': 'procedural'}
    assert e.costs == dict.fromkeys(PRICED, 0.0) and e.total == 0.0 and e.currency == 'USD'


@pytest.mark.parametrize('phrase,seconds,fps', [('a lighthouse keeper befriends a storm', 60, 24), ('storm', 20, 12),
                                                ('an old sailor meets a girl who talks to the sea', 95, 30), ('حارس المنارة', 33.3, 25)])
def test_writer_film_counts(tmp_path, phrase, seconds, fps):
    s = load_settings('dev', path=_ini(tmp_path, f'[dev]\nfps = {fps}\n'))
    film = StoryGrammarWriter()(phrase, seconds=seconds, seed=3, fps=fps).film
    e = estimate_film(film, s)
    shots = [sh for sc in film.scenes for sh in sc.shots]
    assert (e.scenes, e.images, e.clips) == (len(film.scenes), len(shots), len(shots))
    assert e.clip_seconds == pytest.approx(sum(sh.duration for sh in shots), abs=1e-6)
    assert e.voice_lines == len(film.lines()) and e.voice_characters == sum(len(l.text) for _, _, l in film.lines())
    assert e.runtime == pytest.approx(_expected_runtime(film, fps)) and e.runtime >= film.duration - 1e-9
    assert e.music_seconds == e.runtime and e.writer_tokens == 0
    p = estimate_phrase(phrase, seconds=seconds, seed=3, settings=s)     # the same plan from the phrase
    assert (p.scenes, p.images, p.voice_lines, p.runtime) == (e.scenes, e.images, e.voice_lines, e.runtime)


def test_dialogue_longer_than_the_scene_extends_the_runtime():
    f = sample_film()
    f.scenes[1].lines += [Line('MARA', ' '.join(['wind'] * 30)), Line('STORM', 'Only me.')]
    s = load_settings('dev', path=PACKAGED)
    e = estimate_film(f, s)
    assert e.runtime > f.duration and e.runtime == pytest.approx(_expected_runtime(f, 24))
    fast = estimate_film(f, s.replace(voice_rate=2.0))
    assert fast.voice_seconds == pytest.approx(e.voice_seconds / 2)
    assert fast.runtime == pytest.approx(_expected_runtime(f, 24, rate=2.0)) and fast.runtime < e.runtime


def test_costs_follow_the_priced_profile(tmp_path):
    s = _priced(tmp_path, writer='openai', painter='test-paid', motion='test-paid', music='test-paid')
    assert (s.profile, s.price_voice, s.currency) == ('priced', 15.0, 'EUR')
    e = estimate_phrase('a lighthouse keeper befriends a storm', seconds=45, settings=s)
    film = StoryGrammarWriter()('a lighthouse keeper befriends a storm', seconds=45, seed=0).film
    assert e.writer_tokens == writer_tokens(film) == PROMPT_TOKENS + math.ceil(len(film_to_json(film)) / CHARS_PER_TOKEN)
    want = {'writer': e.writer_tokens / 1000 * 0.6, 'painter': e.images * 0.04, 'motion': e.clip_seconds * 0.05,
            'voice': e.voice_characters / 1000 * 15.0, 'music': e.music_seconds / 60 * 1.2}
    assert e.costs == pytest.approx(want) and all(v > 0 for v in e.costs.values())
    assert e.total == pytest.approx(sum(want.values())) and e.currency == 'EUR'
    d = e.to_dict()
    assert d['costs'] == e.costs and d['total'] == e.total and d['backends']['painter'] == 'test-paid'   # exact, not rounded
    assert set(d) == {'runtime', 'scenes', 'images', 'clips', 'clip_seconds', 'voice_lines', 'voice_characters', 'voice_seconds',
                      'music_seconds', 'writer_tokens', 'backends', 'costs', 'total', 'currency'}
    # an existing screenplay needs no writer
    f = estimate_film(film, s)
    assert f.writer_tokens == 0 and f.costs['writer'] == 0.0 and f.costs['painter'] == pytest.approx(want['painter'])


def test_embedded_backends_cost_nothing(tmp_path):
    s = _priced(tmp_path)                                  # packaged backends, every price set
    assert [is_embedded(st, s[st]) for st in PRICED] == [True, True, True, False, True]
    e = estimate_phrase('a lighthouse keeper befriends a storm', seconds=30, settings=s)
    assert e.writer_tokens == 0
    assert {k: v for k, v in e.costs.items() if k != 'voice'} == dict.fromkeys(('writer', 'painter', 'motion', 'music'), 0.0)
    assert e.costs['voice'] == pytest.approx(e.voice_characters / 1000 * 15.0) and e.total == e.costs['voice']
    assert not is_embedded('painter', 'no-such-painter')


def test_table_shows_the_numbers(tmp_path):
    s = _priced(tmp_path, writer='openai', painter='test-paid')
    e = estimate_phrase('a girl who talks to the sea', seconds=30, settings=s)
    t = str(e)
    for piece in (f'{e.runtime:.1f} s film', f'{e.scenes} scenes', f'{e.writer_tokens:,} tokens', f'{e.images} images',
                  f'{e.clips} clips, {e.clip_seconds:.1f} s', f'{e.voice_lines} lines', f'{e.voice_characters:,} characters',
                  f'{e.music_seconds:.1f} s', 'cost EUR', 'openai', 'test-paid', f'{e.total:,.2f}',
                  *(f'{c:,.2f}' for c in e.costs.values())):
        assert piece in t, (piece, t)
    rows = t.split('\n')
    assert len(rows) == 1 + 1 + len(PRICED) + 1 and rows[-1].startswith('total')
    assert len({len(r) for r in rows[1:] if not r.startswith('total')}) == 1     # aligned: cost column right-justified
    cost_col = [r.rsplit(' ', 1)[-1] for r in rows[2:]]
    assert all(len(c.split('.')[-1]) == 2 for c in cost_col)                     # cents
    assert str(Estimate(1.0, 1, 1, 1, 1.0, 0, 0, 0.0, 1.0, 0, costs={'painter': 0.004}, total=0.004)).count('0.00') >= 2


def test_defaults_come_from_the_profile(tmp_path, monkeypatch):
    monkeypatch.delenv('AISTUDIO_SETTINGS', raising=False); monkeypatch.delenv('AISTUDIO_PROFILE', raising=False)
    _ini(tmp_path, '[dev]\nseconds = 30\nseed = 7\nfps = 12\nprice_voice = 2\nvoice = piper\n')
    monkeypatch.chdir(tmp_path)
    e = estimate_phrase('a lighthouse keeper befriends a storm')
    film = StoryGrammarWriter()('a lighthouse keeper befriends a storm', seconds=30, seed=7, fps=12).film
    assert e.runtime == pytest.approx(_expected_runtime(film, 12)) and e.scenes == len(film.scenes)
    assert e.costs['voice'] == pytest.approx(e.voice_characters / 1000 * 2)
    assert estimate_phrase('a lighthouse keeper befriends a storm', seconds=20).runtime == pytest.approx(20, abs=1)


@pytest.mark.parametrize('call,err,msg', [
    (lambda s: estimate_phrase('', settings=s), InputError, 'phrase is empty'),
    (lambda s: estimate_phrase('a storm', seconds=4, settings=s), InputError, 'between 5 and 1800'),
    (lambda s: estimate_phrase('a storm', seed=-2, settings=s), InputError, 'seed'),
    (lambda s: estimate_film(None, s), InputError, 'film must be a Film'),
    (lambda s: estimate_film(sample_film(), 'dev'), InputError, 'settings must be a Settings')])
def test_bad_input(call, err, msg):
    with pytest.raises(err, match=msg): call(load_settings('dev', path=PACKAGED))


def test_unknown_priced_profile(tmp_path):
    with pytest.raises(SettingsError, match="unknown profile 'priced'"):
        load_settings(profile='priced', path=_ini(tmp_path, '[dev]\nprice_painter = 1\n'))


@pytest.mark.slow
def test_estimate_matches_a_real_run(small_run):
    "The pipeline's own 20-second film: same scenes and shots; runtime close to the planned one (real voices differ a little)."
    s = load_settings('test', path=ROOT / 'settings.ini')
    e = estimate_phrase('a lighthouse keeper befriends a storm', seconds=20, settings=s)
    film, report = small_run.film, small_run.report
    assert e.scenes == len(film.scenes) == len(report['scenes'])
    assert e.images == sum(len(sc.shots) for sc in film.scenes) and e.voice_lines == len(film.lines())
    assert abs(e.runtime - report['planned_duration']) <= 0.15 * report['planned_duration']

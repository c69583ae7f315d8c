"Edge cases of the story-grammar writer that the notebook does not show."
import math
import pytest
from aistudio.core import InputError
from aistudio.film import film_from_json, film_to_json
from aistudio.screenplay import film_from_fountain, film_to_fountain
from aistudio.script import StoryGrammarWriter, estimate_speech_seconds, speech_budget

W = StoryGrammarWriter()
PHRASES = ['a lighthouse keeper befriends a storm', 'storm', 'x', '🌩️🌊', 'the sea', 'A cat meets a cat', 'love',
           'a detective, a thief and a cat search the castle for a stolen clock', 'two robots learn to paint the moon',
           'le gardien du phare apprivoise la tempête', 'حارس المنارة يصادق العاصفة', '<script>alert(1)</script> ../../etc/passwd',
           'supercalifragilisticexpialidociousextraordinarywordthing meets someone', ('an old sailor meets a girl who talks to the sea. ' * 50)[:2000]]


def _timing_ok(f, seconds):
    fps = f.fps
    assert sum(round(s.target_duration * fps) for s in f.scenes) == round(seconds * fps)
    for s in f.scenes:
        assert abs(s.target_duration * fps - round(s.target_duration * fps)) < 0.1
        assert sum(round(sh.duration * fps) for sh in s.shots) == round(s.target_duration * fps)
        assert all(sh.duration >= 0.5 for sh in s.shots)
        assert not s.lines or sum(estimate_speech_seconds(l.text) for l in s.lines) <= speech_budget(s.target_duration)


@pytest.mark.parametrize('phrase', PHRASES)
@pytest.mark.parametrize('seconds,fps', [(5, 24), (7.3, 25), (12, 1), (20, 60), (33.3, 30), (95, 12), (1800, 24)])
def test_timing_any_phrase_length_and_rate(phrase, seconds, fps):
    f = W(phrase, seconds=seconds, fps=fps, seed=7).film
    assert 4 <= len(f.scenes) <= 12 and 2 <= len(f.characters) <= 4
    _timing_ok(f, seconds)
    assert film_from_fountain(film_to_fountain(f)) == f and film_from_json(film_to_json(f)) == f


@pytest.mark.parametrize('seconds', [15, 20, 30, 45, 60, 90, 120, 300])
def test_story_rules_hold_across_seeds(seconds):
    for phrase in PHRASES[:4] + PHRASES[7:8]:
        for seed in range(25):
            f = W(phrase, seconds=seconds, seed=seed).film
            texts = [l.text for _, _, l in f.lines()]
            assert len(set(texts)) == len(texts)
            assert {l.speaker for _, _, l in f.lines()} == {c.name for c in f.characters}
            assert sum(bool(s.lines) for s in f.scenes) > len(f.scenes) / 2


def test_seed_and_phrase_change_the_film_but_not_args_order():
    a = W('a storm', seconds=60, seed=1).film
    assert W('a storm', seconds=60, seed=1).film == a
    assert W('a storm', seconds=60, seed=2).film != a
    assert W('a gale', seconds=60, seed=1).film != a
    v = W('a storm', seconds=60, seed=1, aspect='9:16').film
    assert v.aspect == '9:16' and [s.lines for s in v.scenes] == [s.lines for s in a.scenes]


@pytest.mark.parametrize('kw,msg', [(dict(seconds=4.99), 'between 5 and 1800'), (dict(seconds=1800.5), 'between 5 and 1800'),
                                    (dict(seconds=math.nan), 'between 5 and 1800'), (dict(seconds='60'), 'between 5 and 1800'),
                                    (dict(fps=0), 'fps'), (dict(fps=-24), 'fps'), (dict(fps=23.976), 'fps'), (dict(fps=1000), 'fps'),
                                    (dict(seed=-1), 'seed'), (dict(seed=2**32), 'seed'), (dict(aspect='4:3'), 'aspect')])
def test_bad_arguments(kw, msg):
    with pytest.raises(InputError, match=msg): W('a storm', **kw)


def test_bad_phrases():
    for p, msg in [('', 'empty'), (' \n\t', 'empty'), (None, 'must be a string'), ('x' * 2001, 'limit')]:
        with pytest.raises(InputError, match=msg): W(p)
    assert W('x' * 2000, seconds=5).film.phrase == 'x' * 2000


def test_from_pretrained_and_params():
    assert isinstance(StoryGrammarWriter.from_pretrained(None, dtype='float32', device='cpu'), StoryGrammarWriter)
    with pytest.raises(InputError, match='embedded'): StoryGrammarWriter.from_pretrained('some/model')
    assert StoryGrammarWriter().params() == {'name': 'story-grammar', 'version': '2'}


def test_import_is_light():
    import subprocess, sys
    code = "import sys, aistudio.script; print(int(any(m in sys.modules for m in ('numpy', 'PIL', 'torch'))))"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == '0'


# ---- the film-level brief from aistudio.interpret ----

def test_film_fields_come_from_the_interpreter():
    from aistudio.interpret import interpret
    for phrase in ('a lighthouse keeper befriends a storm', 'a horror story about a haunted bakery', 'two robots learn to paint the moon',
                   'a jazz singer in the 1920s', 'حارس المنارة يصادق العاصفة'):
        f, b = W(phrase, seconds=30, seed=4).film, interpret(phrase, 4)
        assert (f.mood, f.palette, f.tempo, f.era, f.themes) == (b.mood, b.palette, b.tempo, b.era, b.themes)
        assert f.genre == b.genre or (b.sources['genre'] == 'default' and f.genre == 'fable')
        assert f.setting == (b.setting or f.setting) and f.setting
    f = W('a ghost in a lighthouse. genre: comedy; mood: joyful. Set in 1890s Paris.', seconds=30).film
    assert (f.genre, f.mood, f.era, f.setting) == ('comedy', 'joyful', '1890s', 'Paris')
    assert all('1890s' in sh.prompt and 'comedy film still' in sh.prompt for s in f.scenes for sh in s.shots)
    assert W('a girl befriends a volcano', seconds=30).film.genre == 'fable'     # a personified force, no genre words


def test_story_unchanged_by_the_interpreter():
    "The interpreter fills film fields only: the scenes of the classic phrase are the grammar's, as before."
    f = W('a lighthouse keeper befriends a storm', seconds=60, seed=0).film
    assert [s.heading for s in f.scenes][:3] == ['INT. LIGHTHOUSE - DAY', 'EXT. LIGHTHOUSE - DUSK', 'EXT. WORKSHOP - DAY']
    assert [c.name for c in f.characters] == ['ELENA', 'STORM'] and f.title == 'Elena and the Storm'


# ---- revise ----

FILM_FIELDS = ('title', 'logline', 'genre', 'mood', 'palette', 'aspect', 'fps', 'seed', 'phrase', 'tempo', 'era', 'setting', 'themes',
               'title_page', 'characters', 'assets')


def _only_scene_changed(a, b, i):
    assert all(getattr(a, k) == getattr(b, k) for k in FILM_FIELDS)
    assert len(a.scenes) == len(b.scenes) and all(x == y for k, (x, y) in enumerate(zip(a.scenes, b.scenes)) if k != i)
    assert a.scenes[i] != b.scenes[i]


def _scene_ok(f, i):
    s, fps = f.scenes[i], f.fps
    frames = s.target_duration * fps
    assert abs(frames - round(frames)) < 0.05 and sum(round(sh.duration * fps) for sh in s.shots) == round(frames)
    assert all(sh.duration >= 0.5 for sh in s.shots)
    assert sum(estimate_speech_seconds(l.text) for l in s.lines) <= speech_budget(s.target_duration) + 1e-9
    assert all(l.speaker in s.characters for l in s.lines)


INSTRUCTIONS = ['funnier', 'make it lighter', 'sadder', 'darker', 'more tense', 'calmer', 'warmer', 'more hopeful', 'more mysterious',
                'more epic', 'angrier', 'more romantic', 'shorter', 'longer', 'much shorter', 'much longer', '12 seconds', 'at night',
                'at dawn', 'at dusk', 'by day', 'funnier and shorter, at night']


@pytest.fixture(scope='module')
def film60():
    return W('a lighthouse keeper befriends a storm', seconds=60, seed=0).film


@pytest.mark.parametrize('instruction', INSTRUCTIONS)
def test_revise_changes_only_that_scene(film60, instruction):
    import copy
    before = copy.deepcopy(film60)
    for i in range(len(film60.scenes)):
        if instruction.startswith(('at ', 'by ')) and film60.scenes[i].time_of_day == instruction.split()[-1]:
            assert W.revise(film60, i, instruction, seed=3).film == film60; continue       # already at that time: nothing changes
        out = W.revise(film60, i, instruction, seed=3)
        assert out.attempts == 1 and out.usage == {} and out.raw == ''
        _only_scene_changed(film60, out.film, i)
        _scene_ok(out.film, i)
        assert W.revise(film60, i, instruction, seed=3).film == out.film               # deterministic
        assert film_from_json(film_to_json(out.film)) == out.film and film_from_fountain(film_to_fountain(out.film)) == out.film
    assert film60 == before                                                            # the input is not touched


def test_revise_mood_effects(film60):
    i = next(k for k, s in enumerate(film60.scenes) if s.mood == 'tense' and s.lines)
    s = W.revise(film60, i, 'make it funnier').film.scenes[i]
    assert s.mood == 'joyful' and all(l.emotion == 'joy' for l in s.lines) and any(l.parenthetical == 'laughing' for l in s.lines)
    assert all('joyful mood' in sh.prompt for sh in s.shots) and 'Laughter' in s.description
    for ask, mood, emotion, paren in [('sadder', 'melancholy', 'sadness', 'through tears'), ('darker', 'dark', 'fear', 'trembling'),
                                      ('calmer', 'calm', 'neutral', 'calmly'), ('warmer', 'warm', 'tenderness', 'gently'),
                                      ('angrier', 'tense', 'anger', 'angrily'), ('more romantic', 'warm', 'tenderness', 'gently')]:
        s = W.revise(film60, i, ask).film.scenes[i]
        assert s.mood == mood and {l.emotion for l in s.lines} == {emotion} and paren in [l.parenthetical for l in s.lines], (ask, s)


def test_revise_added_lines_read_as_their_emotion():
    from aistudio.emotion import tag_emotion
    from aistudio.script import _EXTRA
    for emo, texts in _EXTRA.items():
        for t in texts.split(' | '): assert tag_emotion(t) == emo, (emo, t)


def test_revise_lengths(film60):
    fps = film60.fps
    for i, s in enumerate(film60.scenes):
        short, long_ = W.revise(film60, i, 'shorter').film.scenes[i], W.revise(film60, i, 'longer').film.scenes[i]
        assert round(short.target_duration * fps) == max(fps, round(round(s.target_duration * fps) * 0.7))
        assert round(long_.target_duration * fps) == round(round(s.target_duration * fps) * 1.4)
        if len(s.lines) > 1: assert len(short.lines) < len(s.lines)
        assert len(long_.lines) > len(s.lines)
    assert W.revise(film60, 1, '12 seconds').film.scenes[1].target_duration == 12
    with pytest.raises(InputError, match='1 to 600 seconds'): W.revise(film60, 1, '900 seconds')


def test_revise_time_of_day(film60):
    i = next(k for k, s in enumerate(film60.scenes) if s.time_of_day == 'day')
    s = W.revise(film60, i, 'move it to the night').film.scenes[i]
    assert (s.time_of_day, s.heading.rsplit(' - ', 1)[1]) == ('night', 'NIGHT') and s.heading.split(' - ')[0] == film60.scenes[i].heading.split(' - ')[0]
    assert all('by day' not in sh.prompt for sh in s.shots) and any('at night' in sh.prompt for sh in s.shots)
    assert W.revise(film60, i, 'at sunrise').film.scenes[i].time_of_day == 'dawn'


def test_revise_add_character(film60):
    i = next(k for k, s in enumerate(film60.scenes) if 'STORM' not in s.characters)
    s = W.revise(film60, i, 'add storm').film.scenes[i]
    assert 'STORM' in s.characters and any(l.speaker == 'STORM' for l in s.lines)
    s = W.revise(film60, i, 'add STORM, much shorter').film.scenes[i]
    assert any(l.speaker == 'STORM' for l in s.lines)                   # the added line survives the trim
    with pytest.raises(InputError, match='not a character of the film; characters: ELENA, STORM'): W.revise(film60, i, 'add a dragon')


@pytest.mark.parametrize('scene,instruction,msg', [(0, 'rewrite it as a sonnet', 'it understands a mood'), (0, 'less tense', "understand 'less'"),
                                                   (0, 'make it', 'found nothing to do'), (0, '', 'instruction is empty'),
                                                   (99, 'funnier', 'from 0 to 7'), (-1, 'funnier', 'from 0 to 7'), ('0', 'funnier', 'index'),
                                                   (True, 'funnier', 'index'), (0, None, 'must be a string')])
def test_revise_bad_requests(film60, scene, instruction, msg):
    with pytest.raises(InputError, match=msg): W.revise(film60, scene, instruction)


def test_revise_other_films_and_callback():
    from aistudio.film import sample_film
    f = sample_film()
    calls = []
    out = W.revise(f, 1, 'funnier, at night, add mara, longer', callback=lambda d, t: calls.append((d, t))).film
    _only_scene_changed(f, out, 1); _scene_ok(out, 1)
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)] and out.scenes[1].heading == 'INT. LAMP ROOM - NIGHT'
    with pytest.raises(InputError, match='needs a Film'): W.revise({'scenes': []}, 0, 'funnier')
    with pytest.raises(InputError, match='seed'): W.revise(f, 0, 'funnier', seed=-1)

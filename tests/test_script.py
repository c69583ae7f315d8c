"Edge cases of the story-grammar writer that the notebook does not show."
import math
import pytest
from aistudio.core import InputError
from aistudio.film import film_from_fountain, film_from_json, film_to_fountain, film_to_json
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
    assert StoryGrammarWriter().params() == {'name': 'story-grammar', 'version': '1'}


def test_import_is_light():
    import subprocess, sys
    code = "import sys, aistudio.script; print(int(any(m in sys.modules for m in ('numpy', 'PIL', 'torch'))))"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == '0'

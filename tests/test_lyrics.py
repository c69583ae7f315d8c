"Properties of the embedded lyrics and poem writer over many phrases and seeds, and its faults."
import re
import pytest
from aistudio.core import InputError
from aistudio.film import Character, Film, Scene, Shot, film_from_json, film_to_json, validate
from aistudio.lyrics import (METERS, MOODS, POEM_FORMS, RHYMES, Lyrics, Stanza, _parse_lexicon, count_syllables, rhyme_family,
                             write_lyrics, write_poem)

PHRASES = ['a lighthouse keeper befriends a storm', 'storm', 'x', '🌩️🌊', 'the sea', 'A cat meets a cat', 'love',
           'a detective, a thief and a cat search the castle for a stolen clock', 'two robots learn to paint the moon',
           'le gardien du phare apprivoise la tempête', 'حارس المنارة يصادق العاصفة', '<script>alert(1)</script> ../../etc/passwd',
           'supercalifragilisticexpialidociousextraordinarywordthing meets someone',
           ('an old sailor meets a girl who talks to the sea. ' * 50)[:2000], 'a dragon guards the last library']


def _check(ly: Lyrics):
    "Same letter -> same rhyme family, different letters -> different families; every line in the meter; syllables recorded."
    lo, hi = METERS[ly.meter]
    groups = ly.rhyme_scheme.split()
    assert len(groups) == len(ly.stanzas) == len(ly.syllables)
    fams = {}
    for st, group, syl in zip(ly.stanzas, groups, ly.syllables):
        assert len(group) == len(st.lines) == len(syl)
        for line, letter, n in zip(st.lines, group, syl):
            fam = rhyme_family(line)
            assert fam is not None, line
            assert fams.setdefault(letter, fam) == fam, (letter, line, fams)
            assert n == count_syllables(line) and lo <= n <= hi, (line, n)
    assert len(set(fams.values())) == len(fams)
    ends = [l.split()[-1].strip('.,') for s in ly.stanzas if s.kind != 'chorus' for l in s.lines]
    assert len(ends) == len(set(ends)), ends          # no end word is used twice outside the repeated chorus


@pytest.mark.parametrize('phrase', PHRASES)
def test_songs_keep_scheme_meter_and_chorus(phrase):
    for seed in range(6):
        for verses in (1, 2, 4):
            ly = write_lyrics(phrase, seed=seed, verses=verses, bridge=seed % 2 == 0)
            _check(ly)
            kinds = [s.kind for s in ly.stanzas]
            assert kinds == ['verse', 'chorus'] * verses + (['bridge', 'chorus'] if seed % 2 == 0 else [])
            choruses = [s.lines for s in ly.stanzas if s.kind == 'chorus']
            assert all(c == choruses[0] for c in choruses)
            assert ly.form == 'song' and ly.mood in MOODS and ly.title


@pytest.mark.parametrize('phrase', PHRASES)
def test_poems_keep_scheme_and_meter(phrase):
    for seed in range(4):
        for form, (size, pattern, meter) in POEM_FORMS.items():
            for n in (size, 8, 16):
                ly = write_poem(phrase, lines=n, seed=seed, form=form)
                _check(ly)
                assert ly.form == 'poem' and ly.meter == meter
                assert [len(s.lines) for s in ly.stanzas] == [size] * (n // size)
                assert all(s.kind == 'stanza' for s in ly.stanzas)


@pytest.mark.parametrize('phrase,words', [('a lighthouse keeper befriends a storm', ['keeper', 'storm']),
                                          ('an old sailor falls in love with a baker', ['sailor', 'baker']),
                                          ('a girl who talks to the sea', ['girl', 'sea']),
                                          ('a dragon guards the last library', ['dragon']),
                                          ('storm', ['storm'])])
def test_phrase_words_are_sung(phrase, words):
    for seed in range(5):
        song = write_lyrics(phrase, seed=seed)
        chorus = ' '.join(next(s for s in song.stanzas if s.kind == 'chorus').lines).lower()
        assert all(re.search(rf'\b{w}\b', chorus) for w in words), (words, chorus)
        assert all(w in song.title.lower() for w in words[:1])
        poem = write_poem(phrase, seed=seed)
        assert all(re.search(rf'\b{w}\b', poem.stanzas[0].lines[0].lower()) for w in words), poem.stanzas[0].lines[0]


def test_deterministic_per_seed_and_seeds_differ():
    a = [write_lyrics('a lighthouse keeper befriends a storm', seed=s) for s in range(12)]
    b = [write_lyrics('a lighthouse keeper befriends a storm', seed=s) for s in range(12)]
    assert a == b
    assert len({x.text for x in a}) == 12
    assert len({write_poem('the sea', seed=s).text for s in range(12)}) == 12
    assert write_lyrics('the sea', mood='calm').text != write_lyrics('the sea', mood='epic').text


def test_mood_follows_phrase_or_argument():
    assert write_lyrics('a lighthouse keeper befriends a storm').mood == 'mysterious'
    assert write_lyrics('a party where everyone can dance').mood == 'joyful'
    assert write_lyrics('a lighthouse keeper befriends a storm', mood='epic').mood == 'epic'


def test_syllable_counter_on_common_words():
    words = {'sky': 1, 'night': 1, 'morning': 2, 'river': 2, 'shadow': 2, 'garden': 2, 'thunder': 2, 'whisper': 2, 'lantern': 2,
             'golden': 2, 'ancient': 2, 'harbour': 2, 'mountain': 2, 'forever': 3, 'together': 3, 'umbrella': 3, 'butterfly': 3,
             'remembered': 3, 'dancing': 2, 'singing': 2, 'hoped': 1, 'named': 1, 'ended': 2, 'wishes': 2, 'stones': 1, 'homes': 1,
             'gentle': 2, 'candle': 2, 'lonely': 2, 'lovely': 2, 'sunrise': 2, 'moonlight': 2, 'everywhere': 3, 'someone': 2,
             'alone': 2, 'yesterday': 3, 'radio': 3, 'quiet': 2, 'lion': 2, 'the': 1, 'a': 1, 'I': 1}
    assert {w: count_syllables(w) for w in words} == words
    assert count_syllables('We walk together through the night.') == 8
    assert count_syllables("I'll hold on, hold on!") == 5


def test_lexicon_is_consistent():
    for fam, tags in RHYMES.items():
        assert set(tags) <= set('novadt'), fam
        for ws in tags.values():
            for w in ws:
                assert rhyme_family(w) == fam and count_syllables(w) <= 4, w
    with pytest.raises(ValueError, match='two rhyme families'):
        _parse_lexicon('ay: n day\nee: n sea day')


def test_fountain_block_and_sung_lines():
    ly = write_lyrics('a lighthouse keeper befriends a storm', verses=1, bridge=False)
    block = ly.to_fountain('MARA').rstrip('\n').split('\n')
    assert block[0] == 'MARA' and all(l.startswith('~') for l in block[1:])
    assert [l[1:] for l in block[1:]] == ly.text.split('\n')
    assert ly.to_fountain('Mara').startswith('@Mara\n')
    lines = ly.to_lines('MARA', 'joy')
    assert [l.text for l in lines] == ['\n'.join(s.lines) for s in ly.stanzas]
    assert all(l.sung and l.emotion == 'joy' and l.speaker == 'MARA' for l in lines)
    assert ly.to_lines('MARA')[0].emotion == 'wonder'          # the mysterious mood's emotion
    film = validate(Film('Song', characters=[Character('MARA')],
                         scenes=[Scene('INT. LAMP ROOM - NIGHT', shots=[Shot('close', 'a lamp', 30.0)], lines=lines, target_duration=30.0)]))
    assert film_from_json(film_to_json(film)) == film
    with pytest.raises(InputError, match='emotion'): ly.to_lines('MARA', 'bored')
    with pytest.raises(InputError, match='speaker is empty'): ly.to_fountain('  ')


def test_text_layout():
    ly = Lyrics('T', 'poem', [Stanza('stanza', ['a,', 'b.']), Stanza('stanza', ['c,', 'd.'])], 'AA BB', 'common', [[1, 1], [1, 1]])
    assert ly.text == 'a,\nb.\n\nc,\nd.'
    assert ly.to_fountain('X') == 'X\n~a,\n~b.\n~\n~c,\n~d.\n'


@pytest.mark.parametrize('call,msg', [
    (lambda: write_lyrics(''), 'phrase is empty'), (lambda: write_lyrics('   \n '), 'phrase is empty'),
    (lambda: write_lyrics(None), 'phrase must be a string'), (lambda: write_lyrics('x' * 2001), 'limit is 2,000'),
    (lambda: write_lyrics('a storm', verses=0), 'verses'), (lambda: write_lyrics('a storm', verses=7), 'verses'),
    (lambda: write_lyrics('a storm', verses=2.0), 'verses'), (lambda: write_lyrics('a storm', verses=True), 'verses'),
    (lambda: write_lyrics('a storm', seed=-1), 'seed'), (lambda: write_lyrics('a storm', seed='1'), 'seed'),
    (lambda: write_lyrics('a storm', mood='grumpy'), 'mood'), (lambda: write_poem(''), 'phrase is empty'),
    (lambda: write_poem('a storm', lines=6), 'multiple of 4'), (lambda: write_poem('a storm', lines=0), 'lines'),
    (lambda: write_poem('a storm', lines=36), 'lines'), (lambda: write_poem('a storm', lines=3, form='couplets'), 'multiple of 2'),
    (lambda: write_poem('a storm', form='sonnet'), 'form'), (lambda: write_poem('a storm', mood='x'), 'mood')])
def test_bad_input(call, msg):
    with pytest.raises(InputError, match=msg): call()

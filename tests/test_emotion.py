"The lexicon emotion tagger on a labelled set of unambiguous lines, and its robustness."
import time
import pytest
from aistudio.core import InputError
from aistudio.emotion import EMOTION_INFO, EmotionInfo, score_emotions, tag_emotion, tag_film
from aistudio.film import EMOTIONS, Film, Line, sample_film, validate

# (text, parenthetical, expected emotion): clear cases per emotion, negations, parentheticals, markup, punctuation
LABELLED = [
    # joy
    ("I'm so happy you came!", '', 'joy'),
    ('We did it! We won!', '', 'joy'),
    ("Hahaha, that's hilarious.", '', 'joy'),
    ('What a wonderful day :)', '', 'joy'),
    ("I can't wait to see you!", '', 'joy'),
    ('This is the best day of my life!', '', 'joy'),
    ('Oh, I am delighted.', '', 'joy'),
    ('You did it.', 'laughing', 'joy'),
    # sadness
    ('I miss her so much.', '', 'sadness'),
    ("He's gone. He's really gone...", '', 'sadness'),
    ('I feel so alone.', '', 'sadness'),
    ('She cried all night.', '', 'sadness'),
    ("I'm not happy here.", '', 'sadness'),
    ("It's too late now.", '', 'sadness'),
    ("I'm fine.", 'through tears', 'sadness'),
    ('My heart is broken 😭', '', 'sadness'),
    # anger
    ('I hate you!', '', 'anger'),
    ('Get out of my house!', '', 'anger'),
    ('How dare you speak to me like that?', '', 'anger'),
    ('You lied to me, you idiot.', '', 'anger'),
    ("I'm sick of your excuses.", '', 'anger'),
    ('Fine.', 'angrily', 'anger'),
    ('This is SO unfair!', '', 'anger'),
    ('GET OUT OF HERE NOW', '', 'anger'),
    # fear
    ("I'm scared of the dark.", '', 'fear'),
    ("Please, don't hurt me.", '', 'fear'),
    ('Help! Somebody help me!', '', 'fear'),
    ("Run! They're coming!", '', 'fear'),
    ("Something is out there. I'm terrified.", '', 'fear'),
    ('Look out!', '', 'fear'),
    ("Who's there?", 'trembling', 'fear'),
    ('Oh no. Oh no no no.', '', 'fear'),
    # surprise
    ("Wow, I didn't expect that!", '', 'surprise'),
    ('What?!', '', 'surprise'),
    ("No way! You're kidding!", '', 'surprise'),
    ("I can't believe it.", '', 'surprise'),
    ("Oh my god, it's you.", '', 'surprise'),
    ("You're alive?", 'stunned', 'surprise'),
    ('Really?', '', 'surprise'),
    # tenderness
    ('I love you, darling.', '', 'tenderness'),
    ("Don't worry, I'm here.", '', 'tenderness'),
    ('Thank you for everything.', '', 'tenderness'),
    ('Sleep well, little one.', 'softly', 'tenderness'),
    ('Come here, sweetheart.', '', 'tenderness'),
    ("You're not alone.", '', 'tenderness'),
    ('Come closer.', 'whispering', 'tenderness'),
    ('❤️', '', 'tenderness'),
    # wonder
    ('Look at all those stars...', '', 'wonder'),
    ("It's so beautiful.", '', 'wonder'),
    ('Is this... magic?', '', 'wonder'),
    ("I've never seen anything like it.", '', 'wonder'),
    ('The whole sky is glowing.', 'in awe', 'wonder'),
    ('What a marvel.', '', 'wonder'),
    # resolve
    ('We will never give up.', '', 'resolve'),
    ("I'm not afraid of you.", '', 'resolve'),
    ("I'll do whatever it takes.", '', 'resolve'),
    ("Let's do this.", '', 'resolve'),
    ("I'm ready. Let's go.", '', 'resolve'),
    ("I'm staying.", 'firmly', 'resolve'),
    ('I am never afraid.', '', 'resolve'),
    # neutral: nothing fires
    ('The train leaves at six.', '', 'neutral'),
    ('Pass me the salt.', '', 'neutral'),
    ('It is Tuesday.', '', 'neutral'),
    ('Okay.', 'beat', 'neutral'),
    ('He went to the store and bought some bread.', '', 'neutral'),
    ('', '', 'neutral'),
    # markup and inflections
    ('I *hate* this.', '', 'anger'),
    ('_Run_!', '', 'fear'),
    ('She was smiling and laughing.', '', 'joy'),
    ('He sobbed quietly.', '', 'sadness'),
]


@pytest.mark.parametrize('text,paren,expected', LABELLED, ids=[f'{e}:{t[:30]}' for t, _, e in LABELLED])
def test_labelled_lines(text, paren, expected):
    assert tag_emotion(text, paren) == expected, score_emotions(text, paren)


def test_labelled_set_covers_every_emotion():
    assert {e for _, _, e in LABELLED} == set(EMOTIONS) and len(LABELLED) >= 60


@pytest.mark.parametrize('text,not_expected', [("I don't hate you.", 'anger'), ("I'm not happy about this.", 'joy'),
                                                ("I'm not scared.", 'fear'), ("I don't love you anymore.", 'tenderness'),
                                                ('Nothing surprises me.', 'surprise'), ("I can't do this.", 'resolve')])
def test_negation_turns_the_emotion_away(text, not_expected):
    plain = text.replace("don't ", '').replace('not ', '').replace("can't ", 'can ').replace('Nothing surprises me', 'That surprises me')
    assert tag_emotion(plain) == not_expected            # the same words without the negator do carry it ...
    assert tag_emotion(text) != not_expected              # ... and the negator turns it away


def test_intensity_order_and_parenthetical_weight():
    s = lambda t, p='': score_emotions(t, p)
    assert s('I am a bit sad')['sadness'] < s('I am sad')['sadness'] < s('I am very sad')['sadness'] < s('I am SAD')['sadness'] * 1.2
    assert s('I am angry')['anger'] < s('I am angry!')['anger'] < s('I am angry!!!')['anger']
    assert s('Fine.', 'angrily')['anger'] > 2 * s('angrily')['anger'] * 0.99
    # a parenthetical outweighs a mild word in the line
    assert tag_emotion('That is good news.', 'sobbing') == 'sadness'


def test_context_breaks_ties_but_never_fires_alone():
    assert tag_emotion('Okay.', context='furious rage hatred') == 'neutral'
    tie = 'I hope you are scared'               # joy 0.5 (hope) vs fear 1.2: context cannot flip a clear winner
    assert tag_emotion(tie, context='happy joyful delighted') == 'fear'
    line = "Oh, it's beautiful, I'm happy"   # wonder and joy equally present: the context decides
    a, b = tag_emotion(line, context='awe wondrous magical miracle'), tag_emotion(line, context='laughter celebration party')
    assert {a, b} == {'wonder', 'joy'}


def test_scores_shape_and_determinism():
    sc = score_emotions('I love you, darling.')
    assert list(sc) == list(EMOTIONS[1:]) and all(v >= 0 for v in sc.values())
    assert score_emotions('I love you, darling.') == sc


def test_robustness_empty_none_bad_types():
    assert tag_emotion('') == tag_emotion('   ') == tag_emotion(None) == 'neutral'
    assert all(v == 0 for v in score_emotions('').values())
    for bad in (42, b'happy', ['happy']):
        with pytest.raises(InputError, match='must be a string'): tag_emotion(bad)
    with pytest.raises(InputError, match='parenthetical must be a string'): tag_emotion('hi', 3)


@pytest.mark.parametrize('text', ['Je suis allé au marché ce matin.', 'Ich gehe morgen nach Hause.', 'Я иду домой.', '東京へ行きます。',
                                  'ذهبت إلى السوق', '🌩️🌊', '12345 67890', '\u200f\u202e odd \x00 control', '((((((', ':::::::'])
def test_non_english_and_odd_text_is_neutral(text):
    assert tag_emotion(text) == 'neutral'


def test_one_megabyte_finishes_quickly():
    big = ('I am so happy, but the storm scares me... ' * 25000)[:1_000_000]
    t0 = time.perf_counter(); sc = score_emotions(big); dt = time.perf_counter() - t0
    assert sc['joy'] > 0 and sc['fear'] > 0
    print(f'1 MB scored in {dt:.2f} s')
    nasty = '!' * 300_000 + 'a' * 300_000 + "'" * 200_000 + ':(' * 100_000
    t0 = time.perf_counter(); e = tag_emotion(nasty); print(f'1 MB of odd text in {time.perf_counter() - t0:.2f} s')
    assert e in EMOTIONS


def test_speed_benchmark():
    lines = LABELLED * 150
    t0 = time.perf_counter()
    tags = [tag_emotion(t, p) for t, p, _ in lines]
    print(f'{len(lines) / (time.perf_counter() - t0):,.0f} lines/s')
    assert tags == [e for _, _, e in lines]


def test_emotion_info_documents_every_emotion_and_matches_the_stages():
    from aistudio.music import MOODS
    from aistudio.voice import delivery
    assert tuple(EMOTION_INFO) == EMOTIONS
    for e, i in EMOTION_INFO.items():
        assert isinstance(i, EmotionInfo) and i.description and i.face
        assert -1 <= i.valence <= 1 and 0 <= i.arousal <= 1
        assert i.music['mode'] in ('major', 'minor') and i.music['mood'] in MOODS and 0.5 < i.music['tempo'] < 1.5
        d = delivery(e)
        assert (d['rate'], d['pitch'], d['gain']) == (i.voice['rate'], i.voice['pitch'], i.voice['gain'])
    assert EMOTION_INFO['joy'].valence > 0 > EMOTION_INFO['sadness'].valence
    assert EMOTION_INFO['anger'].arousal > EMOTION_INFO['tenderness'].arousal


def _film(lines):
    f = sample_film()
    name = f.characters[0].name
    f.scenes[0].lines = [Line(name, t, p, e) for t, p, e in lines]
    return validate(f)


def test_tag_film_fills_neutral_lines_and_keeps_set_ones():
    f = _film([('I hate you!', '', 'neutral'), ('I love you, darling.', '', 'fear'), ('Pass the salt.', '', 'neutral'),
               ('Fine.', 'angrily', 'neutral')])
    out = tag_film(f)
    assert out is f
    assert [l.emotion for l in f.scenes[0].lines] == ['anger', 'fear', 'neutral', 'anger']
    tag_film(f, overwrite=True)
    assert [l.emotion for l in f.scenes[0].lines] == ['anger', 'tenderness', 'neutral', 'anger']
    with pytest.raises(InputError, match='needs a Film'): tag_film({'title': 'x'})


def test_tag_film_is_deterministic_and_valid():
    a, b = tag_film(sample_film(), overwrite=True), tag_film(sample_film(), overwrite=True)
    assert a == b and all(l.emotion in EMOTIONS for _, _, l in a.lines())

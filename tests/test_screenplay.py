"aistudio.screenplay and aistudio.breakdown: lossless Film <-> Fountain, the breakdown of plain scripts, and read_screenplay."
import json, random, time, warnings
from pathlib import Path
import pytest
from aistudio.core import InputError
from aistudio.film import (EMOTIONS, TIMES_OF_DAY, Character, Film, Line, Scene, Shot, Voice, film_to_json, sample_film, validate)
from aistudio.fountain import Element, Screenplay, parse_fountain, write_fountain, strip_markup
from aistudio.screenplay import (Imported, film_from_fountain, film_from_screenplay, film_to_fountain, film_to_screenplay,
                                 looks_like_fountain, read_screenplay, screenplay_report, complete_film)
from aistudio.breakdown import heading_parts
from aistudio.script import MOODS, StoryGrammarWriter, estimate_speech_seconds
from aistudio.settings import ASPECTS

FIX = Path(__file__).parent / 'fixtures' / 'fountain'

# ---------------------------------------------------------------- random films, built to be awkward for Fountain

NAMES = ['MARA', 'OLD TOM', 'Dr. Voss', 'mara', "O'NEIL", 'MARA (OLD)', '張偉', 'BOB^', '#1 FAN', '!BANG', 'INT. GUY', 'CUT TO:',
         '@AT', 'ELI', 'THE KEEPER', 'J.J.', 'X', '~SINGER', '[[GHOST]]', 'ADA*', 'éLODIE', 'ZOË', '.DOT', '= EQ', '>ARROW']
HEADINGS = ['EXT. LIGHTHOUSE - NIGHT', 'INT. LAMP ROOM - DAWN', 'The storm breaks', '...later', 'INT. ROOM #3#', 'CUT TO:', '.dot',
            'OPENING', 'int. lower - day', '!bang heading', '[[note]] heading', '= synopsis-like', '# section-like', '~lyric heading',
            '>centered<', 'FADE OUT.', 'I/E VAN - MOVING', 'EST. TOWN', 'MARA', 'a /* boneyard */ heading', 'EXT. SEA — DUSK']
PARAS = ['Waves pound the rocks.', 'MARA', 'CUT TO:', 'INT. HOUSE - DAY', '>THE END<', '> spaced <', '~ lyric-like', '= synopsis',
         '# section', '===', '[[a writer note]]', '[[aistudio scene {"mood":"dark"}]]', 'a /* boneyard */ b', '(paren-like)',
         '*emphasis* and _under_ and **bold**', 'two lines\nof action', 'a\n\n\nb', '!bang', '@mention', '.dotline', 'trailing ^',
         'BOB\nHello', 'FADE OUT.', 'Mara climbs. She stops.', 'THE LAMP GOES OUT.', '  ', 'x' * 30, 'line [[inline note]] here',
         '\\*escaped\\*', 'OLD TOM (70), a fisherman', 'é ü 中文 🌩️', '>a<\n>b<', 'EXT. X - DAY\nnot a heading', '#', '...and then']
TEXTS = ['Who is knocking at my door?', 'Only the wind.', 'Line one\nline two', '*Never* say _that_.', 'Wait\n(beat)\nno.', '~la la',
         'Hello\n\nAnyone?', 'MARA', 'Yes [[aistudio line {"emotion":"joy"}]]', 'A [[note]] inside', '!?', '(not a paren)', '...',
         'CUT TO:', 'Text with trailing ]]', 'ends with ^', '@who', '  spaced  out  ', '中文の台詞', 'THE END', '# not a section',
         '= not a synopsis', '> not centered', 'x\n~y', '\\(escaped\\)']
PARENS = ['', '', '', 'quietly', 'beat', 'to MARA', 'a) (b', 'whispering (softly)', '*angry*', ')(', 'V.O.']
EXTS = ['', '', '', 'V.O.', 'O.S.', "V.O.) (CONT'D", 'cont', "CONT'D"]
SECTIONS = ['', '', '# ACT ONE', '## The storm', '# ACT ONE\n## The storm', '#ACT', 'plain section', '### deep', '#']
TRANS = ['', '', 'CUT TO:', 'FADE OUT.', 'dissolve to:', 'SMASH CUT TO:', 'MARA', 'INT. X - DAY']
TITLES = ['The Keeper', '*The* Keeper', 'Salt', 'a/*b*/c', 'x [[note]] y', 'حارس المنارة', '#hash', 'Title: nested', '_Under_ way',
          '\\*lit\\*', '~', 'CUT TO:']
TP_KEYS = ['Credit', 'Author', 'Draft date', 'Contact', 'Notes', 'Title', 'Source', 'weird:key', 'Logline', 'x y_z', 'Élan']
WORDS = 'the door light rain storm keeper harbour lamp rope window night glass stone tide boat bell'.split()


def random_film(seed: int) -> Film:
    r = random.Random(seed)
    pick = lambda xs: r.choice(xs)
    maybe = lambda p, v, d='': v if r.random() < p else d
    text = lambda pool, n=3: '\n\n'.join(r.choice(pool) for _ in range(r.randint(1, n))).strip() or 'x'
    names = list(dict.fromkeys(r.sample(NAMES, r.randint(1, 6))))
    chars = [Character(n, r.randint(0, 130), pick(['female', 'male', 'neutral']), maybe(0.5, pick(PARAS).replace('\n', ' ').strip() or 'tall'),
                       maybe(0.3, Voice(pick(['default', 'alto']), r.uniform(-3, 3), r.uniform(0.8, 1.2), r.uniform(0.9, 1.1)), None))
             for n in names]
    scenes = []
    for i in range(r.randint(1, 6)):
        lines = []
        for k in range(r.randint(0, 7)):
            lines.append(Line(pick(names), text(TEXTS, 2), pick(PARENS), pick(EMOTIONS), pick(EXTS), k > 0 and r.random() < 0.15,
                              r.random() < 0.15, maybe(0.3, text(PARAS)), maybe(0.1, {'audio': f'voice/{i}_{k}.wav'}, {})))
        shots = [Shot(pick(['wide push-in', 'close-up', 'medium pan left', 'x']), maybe(0.8, text(PARAS + TEXTS, 2).replace('\n', ' ')),
                      r.choice([0.5, 1.25, 4.0, 599.0]), maybe(0.2, {'image': f'shots/{i}.png'}, {})) for _ in range(r.randint(1, 3))]
        scenes.append(Scene(pick(HEADINGS), maybe(0.7, pick(WORDS)), pick(TIMES_OF_DAY), pick(MOODS), maybe(0.7, text(PARAS)),
                            r.choice([1.0, 6.0, 12.375, 600.0]), shots, lines, r.sample(names, r.randint(0, len(names))),
                            maybe(0.3, pick(['1', '12A', 'I-1-A', '3.5'])), maybe(0.3, pick(TEXTS).replace('\n', ' ')), pick(SECTIONS),
                            pick(TRANS), maybe(0.1, {'music': 'm.wav'}, {})))
    tp = {k: pick(TEXTS) for k in r.sample(TP_KEYS, r.randint(0, 4))}
    f = Film(pick(TITLES), maybe(0.5, pick(TEXTS).replace('\n', ' ')), pick(['drama', 'fable', 'science fiction']), pick(MOODS),
             r.sample(['#1b2a41', '#c9d6df', '#ffffff'], r.randint(0, 3)), pick(list(ASPECTS)), r.choice([1, 24, 25, 30, 120]), r.randint(0, 2**32 - 1),
             maybe(0.5, 'a lighthouse keeper befriends a storm'), r.choice([0, 40, 96, 240]), maybe(0.5, '1920s'), maybe(0.5, 'a northern coast'),
             r.sample(['love', 'loss', 'the sea'], r.randint(0, 3)), tp, chars, scenes, maybe(0.2, {'film': 'film.mp4'}, {}))
    return validate(f)


# Values plain Fountain can spell: odd names need '@', headings '.', action that looks like a cue or a transition '!'.
OK_NAMES = ['MARA', 'OLD TOM', 'Dr. Voss', 'mara', "O'NEIL", '張偉', 'J.J.', 'ZOË', 'éLODIE', 'INT. GUY', 'CUT TO:', '!BANG', 'ELI',
            '#1 FAN', '~SINGER', 'ADA*', '= EQ', '>ARROW', 'THE KEEPER']
OK_HEADINGS = ['EXT. LIGHTHOUSE - NIGHT', 'The storm breaks', '...later', 'MARA', 'int. lower - day', 'CUT TO:', 'I/E VAN - MOVING',
               'EST. TOWN', 'EXT. SEA — DUSK', '!bang heading', '[[note]] heading', '= synopsis-like', '# section-like', '.dot',
               '~lyric heading', '>centered<', 'FADE OUT.', 'OPENING', 'INT. A - DAY', 'flashback']
OK_PARAS = ['Waves pound the rocks.', 'MARA', 'CUT TO:', 'INT. HOUSE - DAY', '>THE END<', '~ lyric-like', '= synopsis', '# section',
            '===', '(paren-like)', '*emphasis* and _under_ and **bold**', 'two lines\nof action', '!bang', '@mention', '.dotline',
            'trailing ^', 'BOB\nHello', 'FADE OUT.', 'Mara climbs. She stops.', 'THE LAMP GOES OUT.', 'line [[inline note]] here',
            'OLD TOM (70), a fisherman', 'é ü 中文 🌩️', '>a<\n>b<', 'EXT. X - DAY\nnot a heading', '...and then', 'ELI ^', 'MARA (V.O.)']
OK_TEXTS = ['Who is knocking at my door?', 'Only the wind.', 'Line one\nline two', '*Never* say _that_.', 'Hello\n\nAnyone?', 'MARA',
            'A [[note]] inside', '!?', '...', 'CUT TO:', 'ends with ^', '@who', '中文の台詞', 'THE END', '# not a section',
            '= not a synopsis', '> not centered', '**bold** move', 'INT. HOUSE - DAY']
OK_PARENS = ['', '', 'quietly', 'beat', 'to MARA', '*angry*', 'whispering (softly)']


def plain_film(seed: int) -> Film:
    "A random film that plain Fountain can spell: its file needs no exact copies."
    r = random.Random(seed)
    pick = lambda xs: r.choice(xs)
    maybe = lambda p, v, d='': v if r.random() < p else d
    text = lambda pool, n=3: '\n\n'.join(r.choice(pool) for _ in range(r.randint(1, n)))
    names = list(dict.fromkeys(r.sample(OK_NAMES, r.randint(1, 5))))
    chars = [Character(n, r.randint(0, 99), pick(['female', 'male', 'neutral']), maybe(0.5, 'tall, in a grey coat')) for n in names]
    scenes = []
    for i in range(r.randint(1, 5)):
        lines, prev = [], None
        for k in range(r.randint(0, 6)):
            l = Line(pick(names), text(OK_TEXTS, 1), pick(OK_PARENS), pick(EMOTIONS), pick(EXTS), False, r.random() < 0.15, maybe(0.3, text(OK_PARAS)))
            l.dual = bool(prev and not prev.action and not prev.dual and r.random() < 0.2)   # Fountain pairs a dual cue with the block before
            if l.sung: l.text = l.text.replace('\n\n', '\n')                       # a lyric has no empty lines
            lines.append(l); prev = l
        scenes.append(Scene(pick(OK_HEADINGS), pick(WORDS), pick(TIMES_OF_DAY), pick(MOODS), maybe(0.7, text(OK_PARAS)), r.choice([1.0, 6.5]),
                            [Shot(pick(['wide push-in', 'close-up']), maybe(0.8, 'a lighthouse [[at night]]'), 2.0) for _ in range(r.randint(1, 3))],
                            lines, r.sample(names, r.randint(0, len(names))), maybe(0.3, pick(['1', '12A', 'I-1-A'])),
                            maybe(0.3, 'Mara meets the storm.'), pick(SECTIONS[:5]), pick(TRANS[:6])))
    f = Film(pick(['The Keeper', 'Salt', 'حارس المنارة', '#hash', 'Title: nested']), maybe(0.5, 'A keeper and a storm.'), themes=['the sea'], fps=pick([24, 30]),
             title_page={k: pick(['Written by', 'A. Writer\nB. Writer']) for k in r.sample(['Credit', 'Author', 'Draft date', 'Notes', 'Title'], r.randint(0, 3))},
             characters=chars, scenes=scenes)
    return validate(f)


@pytest.mark.parametrize('seed', range(200))
def test_plain_films_need_no_exact_copies(seed):
    f = plain_film(seed)
    text = film_to_fountain(f)
    assert film_from_fountain(text) == f, text
    assert '"exact"' not in text, text


@pytest.mark.parametrize('seed', range(300))
def test_any_film_survives_fountain(seed):
    f = random_film(seed)
    assert film_from_screenplay(film_to_screenplay(f)) == f
    text = film_to_fountain(f)
    assert film_from_fountain(text) == f, text


def test_writer_films_read_back_without_exact_copies():
    "Ordinary films (the story-grammar writer's) need no exact copies: the Fountain itself says everything it can."
    for seed in range(10):
        f = StoryGrammarWriter()('a lighthouse keeper befriends a storm', seconds=60, seed=seed).film
        text = film_to_fountain(f)
        assert film_from_fountain(text) == f and '"exact"' not in text


def test_exact_copies_only_while_the_text_is_unchanged():
    f = validate(Film('T', characters=[Character('MARA')], scenes=[Scene('INT. A - DAY', description='a\n\n\nb', shots=[Shot()],
                      lines=[Line('MARA', 'Hi.')])]))
    text = film_to_fountain(f)
    assert '"exact"' in text and film_from_fountain(text) == f
    g = film_from_fountain(text.replace('Hi.', 'Hello.'))          # edited by hand: the text wins, the stale copy is ignored
    assert g.scenes[0].lines[0].text == 'Hello.' and g.scenes[0].description == 'a\n\nb'
    sp = parse_fountain(text.replace('Hi.', 'Hello.'))
    from aistudio.screenplay import _read
    assert any('edited' in w.message for w in _read(sp)[1])


# ---------------------------------------------------------------- Fountain -> film -> Fountain -> film is stable

SCRIPTS = [p.read_bytes() for p in sorted(FIX.glob('*.fountain'))] + [
    b'just some words',
    b'MARA\nHello.\n',
    b'Title: Cold\n\nFADE IN:\n\nWaves.\n\nMARA\n(quietly)\nHi.\n(beat)\nBye.\n(smiles)\n\nINT. X - DAY\n\nELI ^\nNo.\n',
    b'# ACT ONE\n\n= the start\n\nINT. A - DAY #1#\n\n= synopsis here\n\n[[aistudio scene {broken]]\n\nMARA (V.O.)\n~Sing it\n~loud\n\n> THE END <\n\nCUT TO:\n\n# dangling',
    b'INT. A - NIGHT\n\nMARA\n(nods)\n\nBOB\nHey\n\n~free lyric\n\n===\n\n/* bone\nyard */\n\n[[note]]\n\nBOB ^\nYo.\n',
    b'\xef\xbb\xbfTitle:\n    _**BRICK**_\n    _**STEEL**_\nCredit: by\nAuthor: A\nAuthor: B\n\nEXT. SEA - DAY\n\nBOB\nHi.',
]


def random_script(seed: int) -> str:
    r = random.Random(seed)
    pool = ['INT. HOUSE - DAY', 'EXT. SEA - NIGHT', '.FLASHBACK', 'MARA', 'BOB (V.O.)', '@mara', 'ELI ^', '(beat)', 'Hello.', '~la la',
            'Waves crash.', '>THE END<', 'CUT TO:', '> FADE OUT.', '# ACT', '## Scene', '= synopsis', '===', '[[note]]', '/* x */',
            '[[aistudio line {"emotion":"joy"}]]', '[[aistudio scene {"mood":"dark","target_duration":3}]]', 'Title: X', '*bold*',
            'MARA (58), a keeper.', '', '', '', '  ', '!FORCED', '...', '#12#', 'INT. A - DAY #4B#', '[[aistudio character {"name":"ZED"}]]',
            '[[aistudio shot {"camera":"wide","duration":2}]]', '[[aistudio film {"fps":30}]]', '\t\tindented', 'é中文']
    return '\n'.join(r.choice(pool) for _ in range(r.randint(1, 60)))


def _stable(t, **kw):
    try: f = film_from_fountain(t, **kw)
    except InputError: return None
    text = film_to_fountain(f)
    assert film_from_fountain(text) == f, text
    return f


@pytest.mark.parametrize('i', range(len(SCRIPTS)))
def test_fixture_scripts_are_stable(i):
    _stable(SCRIPTS[i])


@pytest.mark.parametrize('seed', range(300))
def test_random_scripts_are_stable(seed):
    _stable(random_script(seed))


# ---------------------------------------------------------------- the mapping, field by field

def test_fountain_syntax_maps_to_fields():
    t = ('Title: *The* Keeper\nCredit: Written by\nAuthor: A. Writer\nLogline: A keeper and a storm.\nDraft date: today\n\n'
         'FADE IN:\n\nRain.\n\n# ACT ONE\n## The storm\n\nEXT. LIGHTHOUSE - NIGHT #12A#\n\n= Mara meets the storm.\n\n'
         'Waves pound the rocks.\n\n>THE END?<\n\nMARA (V.O.)\n(shouting)\nWho is *there*?\nOpen up!\n(softer)\nPlease.\n\n'
         'STORM ^\n~Only the wind\n\nShe waits.\n\n[[a writer note]]\n\nThe door rattles.\n\nCUT TO:\n\n'
         '.MEMORY [[inline]]\n\n@McTAVISH (O.S.)\nAye.\n(leaves)\n')
    f = film_from_fountain(t)
    assert (f.title, f.logline, f.title_page) == ('The Keeper', 'A keeper and a storm.', {'Credit': 'Written by', 'Author': 'A. Writer', 'Draft date': 'today'})
    s0, s1, s2 = f.scenes
    assert (s0.heading, s0.description, s0.transition) == ('OPENING', 'Rain.', '')           # FADE IN: before any content is dropped
    assert (s1.heading, s1.number, s1.synopsis, s1.section, s1.transition) == ('EXT. LIGHTHOUSE - NIGHT', '12A', 'Mara meets the storm.',
                                                                               '# ACT ONE\n## The storm', 'CUT TO:')
    assert s1.description == 'Waves pound the rocks.\n\n>THE END?<'
    assert [(l.speaker, l.extension, l.parenthetical, l.text, l.dual, l.sung, l.action) for l in s1.lines] == [
        ('MARA', 'V.O.', 'shouting', 'Who is *there*?\nOpen up!', False, False, ''),
        ('MARA', 'V.O.', 'softer', 'Please.', False, False, ''),
        ('STORM', '', '', 'Only the wind', True, True, 'She waits.\n\nThe door rattles.')]
    assert (s2.heading, s2.lines[0].speaker, s2.lines[0].extension, s2.lines[0].action) == ('MEMORY [[inline]]', 'McTAVISH', 'O.S.', '(leaves)')
    assert [c.name for c in f.characters] == ['MARA', 'STORM', 'McTAVISH']
    assert (s1.setting, s1.time_of_day, s1.characters) == ('lighthouse', 'night', ['MARA', 'STORM'])
    back = film_to_fountain(f)
    assert 'MARA (V.O.)\n(shouting)\nWho is *there*?\nOpen up!\n(softer)\nPlease.' in back      # one cue for the continued speech
    assert film_from_fountain(back) == f and '"exact"' not in back


def test_old_film_to_fountain_files_still_read():
    old = ('Title: The Keeper\nCredit: Written by\nAuthor: aistudio\nLogline: A lighthouse keeper befriends a storm.\n\n'
           '[[aistudio film {"title":"The Keeper","logline":"A lighthouse keeper befriends a storm.","genre":"drama","mood":"tense",'
           '"palette":["#1b2a41","#c9d6df"],"aspect":"16:9","fps":24,"seed":0,"phrase":"a lighthouse keeper befriends a storm"}]]\n\n'
           '[[aistudio character {"name":"MARA","age":58,"gender":"female","look":"grey braid, yellow oilskin coat","voice":null}]]\n'
           '[[aistudio character {"name":"STORM","age":30,"gender":"neutral","look":"a swirl of dark cloud","voice":null}]]\n\n'
           'EXT. LIGHTHOUSE - NIGHT\n\n[[aistudio scene {"setting":"lighthouse","time_of_day":"night","mood":"tense","target_duration":6.0,'
           '"characters":["MARA"]}]]\n[[aistudio shot {"camera":"wide push-in","prompt":"a lighthouse on black rocks in a storm","duration":6.0}]]\n\n'
           'Waves pound the rocks.\n\nMARA\n(shouting)\nWho is knocking at my door? [[aistudio line {"emotion":"fear"}]]\n\n'
           'INT. LAMP ROOM - DAWN\n\n[[aistudio scene {"setting":"lamp room","time_of_day":"dawn","mood":"warm","target_duration":6.0,'
           '"characters":["MARA","STORM"]}]]\n[[aistudio shot {"camera":"close","prompt":"an old woman and a cloud share the light","duration":6.0}]]\n\n'
           'The storm curls around the lamp.\n\nSTORM\nOnly the wind, keeper. Only a friend. [[aistudio line {"emotion":"tenderness"}]]\n')
    f = film_from_fountain(old)
    want = sample_film(); want.title_page = {'Credit': 'Written by', 'Author': 'aistudio'}
    assert f == want


def test_film_options_and_errors():
    f = sample_film(); f.fps = 30; f.scenes[0].target_duration = 6.0
    text = film_to_fountain(f)
    assert film_from_fountain(text).fps == 30 and film_from_fountain(text, fps=25).fps == 25     # a value passed wins
    assert film_from_fountain('INT. A - DAY\n\nMARA\nHi.\n', title='Given').title == 'Given'
    assert film_from_fountain('Title: Own\n\nINT. A - DAY\n\nMARA\nHi.\n', title='Given').title == 'Own'
    with pytest.raises(InputError, match='no characters'): film_from_fountain('INT. A - DAY\n\nJust action.\n')
    with pytest.raises(InputError, match='no scenes'): film_from_fountain('Title: Nothing\n\n# only a section\n')
    with pytest.raises(InputError, match='UTF-8'): film_from_fountain(b'INT. A\n\n\xff\xfe')


def test_heading_parts():
    assert heading_parts('EXT. LIGHTHOUSE - NIGHT') == ('lighthouse', 'night')
    for h, want in [('MORNING', 'dawn'), ('SUNRISE', 'dawn'), ('DAWN', 'dawn'), ('DAY', 'day'), ('AFTERNOON', 'day'), ('DUSK', 'dusk'),
                    ('SUNSET', 'dusk'), ('EVENING', 'dusk'), ('MAGIC HOUR', 'dusk'), ('NIGHT', 'night'), ('MIDNIGHT', 'night'),
                    ('CONTINUOUS', 'dusk'), ('LATER', 'dusk'), ('MOMENTS LATER', 'dusk')]:
        assert heading_parts(f'INT. HALL - {h}', 'dusk') == ('hall', want), h


# ---------------------------------------------------------------- breakdown: complete_film

KEEPER = '''Title: The Keeper
Credit: Written by
Author: A. Writer

FADE IN:

EXT. LIGHTHOUSE - NIGHT

Rain lashes the glass. MARA (58), a weathered keeper in a yellow oilskin, climbs the iron stairs. She stops at the top.

WIDE on the black sea. A shape moves in the fog.

MARA
(shouting)
Who is knocking at my door?

STORM (O.S.)
Only the wind, keeper.

CLOSE ON Mara's hand on the rail. It trembles.

INT. LAMP ROOM - CONTINUOUS

JONAH (30s), her son, waits by the lamp. He smiles.

JONAH
You're soaked. Come in, I made tea.

MARA
I'm so happy you came!

EXT. CLIFF - MORNING

TRACKING: Mara follows the path down to the shore.

EXT. SHORE - LATER

The wreck. ELI (70), an old fisherman, waves. Nobody answers.
'''


def _partial(text):
    from aistudio.screenplay import _read
    return _read(parse_fountain(text))[0]


def _timing_exact(f, total=None):
    fps = f.fps
    if total is not None: assert sum(round(s.target_duration * fps) for s in f.scenes) == total
    for s in f.scenes:
        assert abs(s.target_duration * fps - round(s.target_duration * fps)) <= 0.0005 * fps + 1e-9   # whole frames, kept to 3 decimals
        assert sum(round(sh.duration * fps) for sh in s.shots) == round(s.target_duration * fps)
        assert all(sh.duration >= 0.5 for sh in s.shots) and 1 <= len(s.shots) <= 6


def test_breakdown_of_a_plain_script():
    from aistudio.motion import camera_moves
    f = complete_film(_partial(KEEPER), seconds=40)
    c = {x.name: x for x in f.characters}
    assert list(c) == ['MARA', 'STORM', 'JONAH', 'ELI']
    assert (c['MARA'].age, c['MARA'].gender, c['MARA'].look) == (58, 'female', 'a weathered keeper in a yellow oilskin')
    assert (c['JONAH'].age, c['JONAH'].gender) == (35, 'male')                      # '(30s)', 'He smiles.'
    assert (c['ELI'].age, c['ELI'].gender, c['ELI'].look) == (70, 'male', 'an old fisherman')
    assert (c['STORM'].age, c['STORM'].gender, c['STORM'].look) == (35, 'neutral', '')
    s = f.scenes
    assert [(x.setting, x.time_of_day) for x in s] == [('lighthouse', 'night'), ('lamp room', 'night'), ('cliff', 'dawn'), ('shore', 'dawn')]
    assert [x.characters for x in s] == [['MARA', 'STORM'], ['JONAH', 'MARA'], ['MARA'], ['ELI']]
    assert [l.emotion for l in s[1].lines][1] == 'joy' and s[1].mood == 'joyful'
    _timing_exact(f, 40 * 24)
    cams = [sh.camera for sh in s[0].shots]
    assert cams[1].startswith('wide') and cams[-1].startswith('close-up') and any(x.startswith('two-shot') for x in cams), cams
    assert 'tracking' in s[2].shots[0].camera and all(camera_moves(sh.camera) for x in s for sh in x.shots)
    p = s[0].shots[0].prompt
    assert 'Mara, a weathered keeper in a yellow oilskin' in p and 'lighthouse at night' in p and p.endswith(f'{s[0].mood} mood, {f.genre} film still')
    assert f == complete_film(_partial(KEEPER), seconds=40)                          # deterministic
    assert film_from_fountain(film_to_fountain(f)) == f


def test_natural_durations_follow_speech_and_action():
    d = {'title': 'T', 'genre': 'drama', 'mood': 'calm', 'palette': [], 'tempo': 0, 'era': '', 'setting': '', 'themes': [],
         'scenes': [{'heading': 'INT. A - DAY', 'lines': [{'speaker': 'MARA', 'text': 'one two three four five six'}, {'speaker': 'Mara', 'text': 'Yes.'}]},
                    {'heading': 'INT. B - DAY', 'description': ' '.join(['word'] * 30)}, {'heading': 'INT. C - DAY', 'description': 'Rain.'}]}
    f = complete_film(d, fps=25)
    want = estimate_speech_seconds('one two three four five six') + estimate_speech_seconds('Yes.') + 0.25 + 1.2
    assert f.scenes[0].target_duration == round(want * 25) / 25 and [c.name for c in f.characters] == ['MARA']
    assert f.scenes[1].target_duration == 10.0 and f.scenes[2].target_duration == 2.0
    _timing_exact(f)


def test_seconds_scale_exactly_but_never_below_the_dialogue():
    d = _partial(KEEPER)
    for seconds, fps in [(30, 24), (61.7, 25), (300, 30), (19, 12)]:
        f = complete_film(d, seconds=seconds, fps=fps)
        _timing_exact(f, round(seconds * fps))
        for s in f.scenes:
            talk = sum(estimate_speech_seconds(strip_markup(l.text)) for l in s.lines) + 0.25 * max(0, len(s.lines) - 1) + 1.2 * bool(s.lines)
            assert s.target_duration >= talk - 1e-9
    with pytest.warns(UserWarning, match='dialogue needs'):
        f = complete_film(d, seconds=5)
    assert f.duration > 5


def test_the_writer_wins():
    d = {'title': 'T', 'logline': 'L', 'genre': 'western', 'mood': 'dark', 'palette': ['#000000'], 'tempo': 90, 'era': '1880s', 'setting': 'a town', 'themes': ['x'],
         'characters': [{'name': 'MARA', 'age': 20, 'look': 'a hat'}],
         'scenes': [{'heading': 'EXT. TOWN - DAY', 'time_of_day': 'dusk', 'mood': 'calm', 'target_duration': 7, 'description': 'MARA (58), a keeper. She waits.',
                     'shots': [{'camera': 'static', 'prompt': 'p', 'duration': 1}, {'camera': 'pan left', 'prompt': 'q', 'duration': 3}],
                     'lines': [{'speaker': 'MARA', 'text': 'I am so happy!', 'emotion': 'sadness'}, {'speaker': 'MARA', 'text': 'I am so happy!'}]}]}
    f = complete_film(d, fps=24)
    m = f.characters[0]
    assert (m.age, m.look, m.gender) == (20, 'a hat', 'female')                      # given age and look kept; gender was not given
    s = f.scenes[0]
    assert (f.genre, f.mood, f.tempo, f.era, s.time_of_day, s.mood, s.target_duration) == ('western', 'dark', 90, '1880s', 'dusk', 'calm', 7.0)
    assert [(x.camera, x.prompt) for x in s.shots] == [('static', 'p'), ('pan left', 'q')] and [x.duration for x in s.shots] == [1.75, 5.25]
    assert [l.emotion for l in s.lines] == ['sadness', 'joy']
    assert d['scenes'][0]['lines'][1] == {'speaker': 'MARA', 'text': 'I am so happy!'}   # the input is not changed


def test_interpret_fills_the_style():
    from aistudio.interpret import interpret
    f = complete_film({'title': 'Ghost Ship', 'scenes': [{'heading': 'EXT. SEA - NIGHT', 'description': 'A ghost ship drifts in the fog. MARA (40) watches.'}]})
    b = interpret('Ghost Ship A ghost ship drifts in the fog. MARA (40) watches.')
    assert (f.genre, f.mood, f.palette, f.tempo, f.era, f.setting, f.themes) == (b.genre, b.mood, b.palette, b.tempo, b.era, b.setting, b.themes)
    g = complete_film({'title': 'Ghost Ship', 'scenes': [{'heading': 'EXT. SEA - NIGHT', 'description': 'MARA (40) watches.'}]}, phrase='a joyful party on a beach')
    assert g.phrase == 'a joyful party on a beach' and g.palette == interpret('a joyful party on a beach').palette


def test_breakdown_errors():
    with pytest.raises(InputError, match='no scenes'): complete_film({'title': 'T', 'scenes': []})
    with pytest.raises(InputError, match='character cue'): complete_film({'title': 'T', 'scenes': [{'heading': 'INT. A', 'description': 'Rain.'}]})
    with pytest.raises(InputError, match='scenes\\[0\\].lines\\[0\\].emotion'):
        complete_film({'title': 'T', 'scenes': [{'heading': 'INT. A', 'lines': [{'speaker': 'A', 'text': 'b', 'emotion': 'glee'}]}]})
    with pytest.raises(InputError, match='unknown field'): complete_film({'title': 'T', 'colour': 1, 'scenes': [{'heading': 'INT. A', 'lines': [{'speaker': 'A', 'text': 'b'}]}]})
    with pytest.raises(InputError, match='seconds'): complete_film(_partial(KEEPER), seconds=0)


# ---------------------------------------------------------------- read_screenplay

def _pdf(path):
    from fpdf import FPDF
    pdf = FPDF(unit='pt', format='letter'); pdf.add_page(); pdf.set_font('Courier', size=12)
    y = [72]
    def put(inch, text): pdf.text(inch * 72, y[0], text); y[0] += 12
    for x, t in [(1.5, 'INT. LIGHTHOUSE - NIGHT'), (None, ''), (1.5, 'MARA (58) climbs the stairs.'), (None, ''), (3.7, 'MARA'),
                 (2.5, 'Who is there?'), (None, ''), (3.7, 'STORM'), (2.5, 'Only the wind.')]:
        if x is None: y[0] += 12
        else: put(x, t)
    path.write_bytes(bytes(pdf.output()))


def test_read_screenplay_every_kind(tmp_path):
    (tmp_path / 'keeper.fountain').write_text(KEEPER)
    (tmp_path / 'keeper.spmd').write_text(KEEPER)
    (tmp_path / 'keeper.txt').write_text(KEEPER)
    (tmp_path / 'loose.txt').write_text('The Keeper\n\nA lighthouse at night.\n\nMARA: Who is there?\nSTORM: Only the wind.\n')
    (tmp_path / 'film.json').write_text(film_to_json(sample_film()))
    _pdf(tmp_path / 'keeper.pdf')
    a = read_screenplay(tmp_path / 'keeper.fountain', seconds=40)
    assert isinstance(a, Imported) and a.source == 'fountain' and a.film == complete_film(_partial(KEEPER), seconds=40)
    assert a.screenplay.title_page[0] == ('Title', 'The Keeper')
    assert read_screenplay(tmp_path / 'keeper.spmd', seconds=40).film == a.film and read_screenplay(tmp_path / 'keeper.txt', seconds=40).film == a.film
    t = read_screenplay(tmp_path / 'loose.txt')
    assert t.source == 'text' and {c.name for c in t.film.characters} >= {'MARA', 'STORM'}
    j = read_screenplay(tmp_path / 'film.json')
    assert (j.source, j.film, j.warnings) == ('json', sample_film(), []) and film_from_screenplay(j.screenplay) == sample_film()
    p = read_screenplay(tmp_path / 'keeper.pdf', fps=25)
    assert p.source == 'pdf' and p.film.fps == 25 and [l.text for _, _, l in p.film.lines()] == ['Who is there?', 'Only the wind.']
    assert p.film.characters[0].age == 58 and p.film.scenes[0].time_of_day == 'night'


def test_read_screenplay_refuses_bad_files(tmp_path):
    with pytest.raises(InputError, match='no such'): read_screenplay(tmp_path / 'missing.fountain')
    (tmp_path / 'a.docx').write_text('x')
    with pytest.raises(InputError, match="unknown screenplay type '.docx'"): read_screenplay(tmp_path / 'a.docx')
    big = tmp_path / 'big.fountain'
    with open(big, 'wb') as fh: fh.truncate(21 * 2**20)
    with pytest.raises(InputError, match='20 MB'): read_screenplay(big)
    (tmp_path / 'bad.fountain').write_bytes(b'INT. A - DAY\n\nMARA\nHi.\n\nNo \xe9 here\n')
    with pytest.raises(InputError, match=r'bad.fountain, line 6: .* not UTF-8'): read_screenplay(tmp_path / 'bad.fountain')
    (tmp_path / 'quiet.fountain').write_text('EXT. SEA - DAY\n\nWaves. Nobody.\n')
    with pytest.raises(InputError, match='at least one character cue'): read_screenplay(tmp_path / 'quiet.fountain')
    (tmp_path / 'empty.fountain').write_text('Title: Nothing\n')
    with pytest.raises(InputError, match='no scenes'): read_screenplay(tmp_path / 'empty.fountain')


def test_action_only_scripts_still_make_films(tmp_path):
    (tmp_path / 'no_dialogue.fountain').write_text('Rain. MARA (40), a sailor, looks at the sea.\n\nShe walks away.\n')
    a = read_screenplay(tmp_path / 'no_dialogue.fountain')
    assert [s.heading for s in a.film.scenes] == ['OPENING'] and a.film.characters[0].name == 'MARA' and a.film.title == 'no dialogue'
    assert a.film.scenes[0].characters == ['MARA'] and a.film.scenes[0].target_duration >= 2


def test_report_names_warnings_with_lines(tmp_path):
    (tmp_path / 'w.fountain').write_text('INT. A - DAY\n\nMARA\nHi.\n\n[[aistudio scene {broken]]\n\n@BOB\n\nELI ^\nYo.\n')
    a = read_screenplay(tmp_path / 'w.fountain', seconds=1)
    r = screenplay_report(a)
    assert "'w' from fountain: 1 scene(s), 2 character(s), 2 line(s) of dialogue" in r
    assert 'MARA (1), ELI (1)' in r and 'line 8: character' in r and 'line 6: the [[aistudio scene' in r, r
    assert '\n  the dialogue needs 3.0 s, more than the 1 s asked for' in r, r


def test_looks_like_fountain():
    assert looks_like_fountain(KEEPER) and looks_like_fountain('INT. A - DAY\n\nMARA\nHi.\n')
    assert not looks_like_fountain('Dear Sir,\n\nThank you.\n') and not looks_like_fountain('')
    laid_out = 'INT. A - DAY\n\n' + '\n'.join(['                         MARA', '               Hello there.', ''] * 10)
    assert not looks_like_fountain(laid_out)


@pytest.mark.slow
def test_benchmark_5000_scenes(tmp_path):
    r = random.Random(0)
    names = ['MARA', 'JONAH', 'OLD TOM', 'DR. VOSS', 'JUNE', 'ELI']
    say = lambda a, b: ' '.join(r.choice(WORDS) for _ in range(r.randint(a, b)))
    out = ['Title: Big', '']
    for i in range(5000):
        out += [f"{r.choice(['INT.', 'EXT.'])} {say(1, 2).upper()} - {r.choice(['DAY', 'NIGHT', 'DAWN', 'CONTINUOUS'])}", '']
        if i < len(names): out += [f"{names[i]} ({r.randint(20, 70)}), a {say(2, 5)}. She {say(3, 6)}.", '']
        for _ in range(r.randint(1, 5)):
            if r.random() < 0.35: out += [say(8, 30).capitalize() + '.', '']
            else: out += [r.choice(names)] + ([f'({say(1, 2)})'] if r.random() < 0.2 else []) + [say(3, 15).capitalize() + '.', '']
    path = tmp_path / 'big.fountain'; path.write_text('\n'.join(out))
    t0 = time.perf_counter(); a = read_screenplay(path, seconds=50000); dt = time.perf_counter() - t0
    t1 = time.perf_counter(); text = film_to_fountain(a.film); dt2 = time.perf_counter() - t1
    t2 = time.perf_counter(); back = film_from_fountain(text); dt3 = time.perf_counter() - t2
    print(f'\n5,000-scene Fountain ({path.stat().st_size / 1e6:.1f} MB, {len(a.film.lines()):,} lines) -> Film: {dt:.2f} s; '
          f'film_to_fountain {dt2:.2f} s; film_from_fountain {dt3:.2f} s')
    assert len(a.film.scenes) == 5000 and back == a.film
    _timing_exact(a.film, 50000 * 24)


def test_screenplay_elements_from_other_readers():
    "Element sequences a PDF or text reader may produce: split dialogue, stray parentheticals and lyrics, a cue with nothing after it."
    E = Element
    sp = Screenplay([('Title', 'PDF')], [E('character', 'MARA', dual=True), E('dialogue', 'One'), E('dialogue', 'two'), E('lyrics', 'la la'),
                                         E('parenthetical', '(beat)'), E('scene_heading', 'INT. A - DAY'), E('character', 'BOB'),
                                         E('parenthetical', '(nods)'), E('lyrics', 'free'), E('dialogue', 'said'), E('centered', 'END'),
                                         E('dialogue', 'stray'), E('lyrics', 'hum'), E('parenthetical', '(sighs)'), E('character', 'ELI'),
                                         E('character', 'MARA'), E('dialogue', 'Hi.'), E('parenthetical', '(smiles)'), E('page_break'),
                                         E('section', 'ACT TWO', level=1), E('synopsis', 'ignored'), E('transition', 'CUT TO:')])
    f = film_from_screenplay(sp)
    s0, s1 = f.scenes
    assert s0.heading == 'OPENING' and [(l.text, l.sung, l.dual, l.action) for l in s0.lines] == [('One\ntwo', False, False, ''), ('la la', True, False, '(beat)')]
    assert [(l.speaker, l.parenthetical, l.text, l.sung, l.action) for l in s1.lines] == [
        ('BOB', 'nods', 'free', True, ''), ('BOB', '', 'said', False, '>END<\n\nstray\n\n~hum\n\n(sighs)\n\nELI'), ('MARA', '', 'Hi.', False, '(smiles)')]
    assert (s1.description, s1.transition, s1.section) == ('', 'CUT TO:', '')
    assert [c.name for c in f.characters] == ['MARA', 'BOB'] and film_from_fountain(film_to_fountain(f)) == f


def test_read_screenplay_keeps_what_aistudio_wrote(tmp_path):
    "A file film_to_fountain wrote reads back with its style, cast, scenes and shots; only neutral lines may get an emotion."
    for seed in range(5):
        f = StoryGrammarWriter()('an old sailor falls in love with a baker in the village', seconds=45, seed=seed).film
        (tmp_path / 'f.fountain').write_text(film_to_fountain(f))
        g = read_screenplay(tmp_path / 'f.fountain').film
        tagged = [(a.emotion, b.emotion) for (_, _, a), (_, _, b) in zip(f.lines(), g.lines())]
        assert all(a == b or a == 'neutral' for a, b in tagged), tagged
        for (_, _, a), (_, _, b) in zip(f.lines(), g.lines()): b.emotion = a.emotion
        assert g == f

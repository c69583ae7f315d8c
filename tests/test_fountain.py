"aistudio.fountain: the Fountain parser on every element, bad input, scale, and write -> parse round trips."
import random
from pathlib import Path
import pytest
from aistudio.core import InputError
from aistudio.fountain import (KINDS, Element, ParseWarning, Screenplay, parse_fountain, write_fountain, strip_markup,
                               parse_benchmark)

FIX = Path(__file__).parent / 'fixtures' / 'fountain'
parse_file = lambda name: parse_fountain((FIX / name).read_bytes())
klt = lambda sp: [(e.kind, e.text, e.line) for e in sp.elements]
sig = lambda e: (e.kind, e.text, e.number, e.extension, e.dual, e.level)

def assert_round_trip(sp):
    text = write_fountain(sp)
    back = parse_fountain(text)
    assert back.title_page == [(k, v) for k, v in sp.title_page], text
    assert [sig(e) for e in back.elements] == [sig(e) for e in sp.elements], text
    return text

# ---------------------------------------------------------------- fixtures, element by element

def test_elements_fixture_every_element():
    sp = parse_file('elements.fountain')
    assert sp.title_page == [('Title', 'Every Element'), ('Credit', 'Written by'), ('Author', 'The Fountain Helper')]
    assert klt(sp) == [
        ('section', 'ACT ONE', 5), ('section', 'The Lighthouse', 6), ('synopsis', "Mara finds the keeper's log.", 7),
        ('scene_heading', 'INT. LIGHTHOUSE - NIGHT', 9),
        ('action', 'Rain lashes the *glass*. The lamp turns, **slowly**.\n    A gull screams.\n  Indented two spaces.', 11),
        ('action', 'THE LAMP GOES OUT.', 15), ('scene_heading', 'SNIPER RIFLE POV', 17), ('action', '...and then, silence.', 19),
        ('character', 'MARA', 21), ('parenthetical', '(whispering)', 22),
        ('dialogue', 'Is anyone _up there_? [[too on the nose?]]\nHello?\n\nAnyone?', 23),
        ('character', 'McCLANE', 28), ('dialogue', 'Yippee ki-yay.', 29), ('scene_heading', 'EXT. CLIFF - DAWN', 31),
        ('character', 'KEEPER', 33), ('dialogue', 'I kept the light.', 34), ('character', 'MARA', 36), ('dialogue', 'You kept it dark.', 37),
        ('character', 'KEEPER', 39), ('lyrics', 'Lanterns low and lanterns high\nKeep the ships from passing by', 40),
        ('transition', 'CUT TO:', 43), ('transition', 'SMASH CUT:', 45), ('centered', 'THE END', 47),
        ('note', 'A note on its own\n\nthat spans lines.', 49),
        ('scene_heading', 'INT./EXT. CAR - MOVING', 58),          # the boneyard (lines 53-57) is gone, numbering intact
        ('action', 'He dialed \\*69 and hung up.', 60), ('page_break', '', 62), ('scene_heading', 'I/E VAN - DAY', 64),
        ('scene_heading', 'EST. TOWN SQUARE', 66), ('character', 'OLD TOM', 68), ('dialogue', "Who's there?", 69),
        ('action', 'FADE OUT.', 71)]                               # no 'TO:' and no '>': action, as the spec says
    e = sp.elements
    assert [x.number for x in e if x.kind == 'scene_heading'] == ['1', 'I-1-A', '1A', '', '', '']
    assert [x.level for x in e if x.kind == 'section'] == [1, 2]
    assert [(x.text, x.extension, x.dual, x.forced) for x in e if x.kind == 'character'] == [
        ('MARA', "V.O.) (CONT'D", False, False), ('McCLANE', '', False, True), ('KEEPER', '', False, False),
        ('MARA', '', True, False), ('KEEPER', '', False, False), ('OLD TOM', 'O.S.', False, False)]
    assert [x.line for x in e if x.forced] == [15, 17, 28, 40, 45, 47]
    assert 'Nobody sees this' not in ''.join(x.text for x in e) and sp.warnings == []
    assert all(x.kind in KINDS for x in e) and {x.kind for x in e} == set(KINDS) - {'lyrics'} | {'lyrics'}

def test_title_page_fixture():
    sp = parse_file('title_page.fountain')
    assert sp.title_page == [('Title', '**THE KEEPER**\n_a short film_'), ('Credit', 'Written by'), ('Author', 'Mara Lind'),
                             ('Source', 'Story by\nJune Ashe'), ('Draft date', '1/1/2026'),
                             ('Contact', 'Harbour Films\n1 Quay Street\n\nmara@example.invalid')]
    assert klt(sp) == [('scene_heading', 'INT. LIGHTHOUSE - NIGHT', 15), ('action', 'Mara climbs.', 17)]

def test_no_title_page_fixture():
    sp = parse_file('no_title_page.fountain')
    assert sp.title_page == [] and sp.warnings == []
    assert klt(sp) == [('scene_heading', 'EXT. HARBOUR - DAWN', 1), ('action', 'Mist on the water. A bell rings.', 3),
                       ('character', 'MARA', 5), ('dialogue', 'Too early.', 6),
                       ('action', 'Note: this line has a colon but the script did not start with it.', 8)]

def test_dual_dialogue_and_lyrics_fixture():
    sp = parse_file('dual_lyrics.fountain')
    assert klt(sp) == [('scene_heading', 'INT. TAVERN - NIGHT', 1), ('character', 'BRICK', 3), ('dialogue', 'Screw retirement.', 4),
                       ('character', 'STEEL', 6), ('dialogue', 'Screw retirement.', 7), ('character', 'BRICK', 9),
                       ('parenthetical', '(raising a glass)', 10), ('lyrics', 'To the old ways\nAnd the old days', 11),
                       ('character', 'STEEL', 14), ('lyrics', 'To the old ways!', 15),
                       ('lyrics', 'Willy Wonka! Willy Wonka!\nThe amazing chocolatier!', 17)]
    assert [(e.dual, e.extension) for e in sp.elements if e.kind == 'character'] == [(False, ''), (True, ''), (False, ''), (True, 'V.O.')]
    assert all(e.forced for e in sp.elements if e.kind == 'lyrics') and sp.warnings == []

@pytest.mark.parametrize('name,first', [('crlf.fountain', 'BOB'), ('cr_only.fountain', 'ANN')])
def test_crlf_and_cr_only(name, first):
    data = (FIX / name).read_bytes()
    assert (b'\r\n' in data) == (name == 'crlf.fountain') and b'\r' in data      # the fixture bytes are intact
    sp = parse_fountain(data)
    assert len(sp.title_page) == 2 and sp.warnings == []
    assert klt(sp) == [('scene_heading', 'INT. OFFICE - DAY', 4), ('character', first, 6), ('dialogue', 'Hello.', 7), ('transition', 'CUT TO:', 9)]
    assert klt(parse_fountain(data.replace(b'\r\n', b'\n').replace(b'\r', b'\n'))) == klt(sp)

def test_bom_tabs_trailing_spaces():
    data = (FIX / 'bom_tabs_trailing.fountain').read_bytes()
    assert data.startswith(b'\xef\xbb\xbf') and b'\t' in data and b'   \n' in data
    sp = parse_fountain(data)
    assert sp.title_page == [('Title', 'Bom\nsubtitle line')]
    assert klt(sp) == [('scene_heading', 'INT. HALL - DAY', 4), ('character', 'BOB', 6), ('dialogue', 'Hi there.', 7),
                       ('parenthetical', '(beat)', 8), ('action', '    She waits.', 10)]   # action keeps its indent, a tab is 4 spaces
    assert parse_fountain(data.decode('utf-8')).elements == sp.elements                      # str with a BOM too

def test_malformed_fixture_best_effort_with_warnings():
    sp = parse_file('malformed.fountain')
    assert klt(sp) == [('action', 'INT. KITCHEN - DAY\nMara stirs a pot.', 1), ('action', '@Jolene', 4), ('action', 'HANS (V.O.)', 6),
                       ('character', 'KARL', 8), ('dialogue', 'Nothing.', 9), ('action', 'Action with [[a note that never closes.', 11),
                       ('character', 'BOB', 13), ('dialogue', 'Fine. /* this boneyard\nnever ends', 14),
                       ('character', 'MARA', 17), ('dialogue', 'Still here.', 18)]
    assert sp.elements[3].dual is False                                   # the lonely caret is cleared
    got = [(w.line, w.message.split(' ')[0]) for w in sp.warnings]
    assert got == [(1, "'INT."), (4, 'character'), (6, 'character'), (8, 'dual'), (11, "'[['"), (14, "'/*'")]
    assert all(isinstance(w, ParseWarning) and str(w).startswith(f'line {w.line}: ') for w in sp.warnings)

@pytest.mark.parametrize('name', sorted(p.name for p in FIX.glob('*.fountain')))
def test_fixture_round_trip(name):
    sp = parse_file(name)
    text = assert_round_trip(sp)
    assert write_fountain(parse_fountain(text)) == text                  # writing is stable

# ---------------------------------------------------------------- rules, one at a time

@pytest.mark.parametrize('src,want', [
    ('\nINT. HOUSE - DAY\n', [('scene_heading', 'INT. HOUSE - DAY')]),
    ('ext. brick\'s pool - day\n', [('scene_heading', "ext. brick's pool - day")]),
    ('INT/EXT CAR\n\nEST SKYLINE\n\nI/E. VAN\n', [('scene_heading', 'INT/EXT CAR'), ('scene_heading', 'EST SKYLINE'), ('scene_heading', 'I/E. VAN')]),
    ('INTERIOR DESIGN\n', [('action', 'INTERIOR DESIGN')]),
    ('..not a heading\n', [('action', '..not a heading')]),
    ('.flashback\n', [('scene_heading', 'flashback')]),
    ('Bob waits.\nINT. HOUSE - DAY\n', [('action', 'Bob waits.\nINT. HOUSE - DAY')]),       # needs a blank line before
    ('CUT TO:\n', [('transition', 'CUT TO:')]),
    ('Cut to:\n', [('action', 'Cut to:')]),
    ('CUT TO:\nmore\n', [('character', 'CUT TO:'), ('dialogue', 'more')]),                # not followed by a blank line
    ('> Burn to white.\n', [('transition', 'Burn to white.')]),
    ('>  THE END  <\n', [('centered', 'THE END')]),
    ('R2D2\nBeep.\n', [('character', 'R2D2'), ('dialogue', 'Beep.')]),
    ('23\nBeep.\n', [('action', '23\nBeep.')]),                                          # a cue needs a letter
    ('黒澤\nはい。\n', [('action', '黒澤\nはい。')]),
    ('@黒澤\nはい。\n', [('character', '黒澤'), ('dialogue', 'はい。')]),
    ("HANS (on the radio)\nHello.\n", [('character', 'HANS'), ('dialogue', 'Hello.')]),
    ('BRICK\n(beat)\n(sotto)\nNo.\n', [('character', 'BRICK'), ('parenthetical', '(beat)'), ('parenthetical', '(sotto)'), ('dialogue', 'No.')]),
    ('~Sing it.\n~Again.\n', [('lyrics', 'Sing it.\nAgain.')]),
    ('### Deep\n', [('section', 'Deep')]),
    ('=Short.\n', [('synopsis', 'Short.')]),
    ('====\n', [('page_break', '')]),
    ('[[just a note]]\n', [('note', 'just a note')]),
    ('Look [[inline]] here.\n', [('action', 'Look [[inline]] here.')]),
    ('[[a]] and [[b]]\n', [('action', '[[a]] and [[b]]')]),
    ('A /* cut */ B\n', [('action', 'A  B')]),
    ('!!double\n', [('action', '!double')]),
    ('!\n', [('action', '')]),
])
def test_rules(src, want):
    assert [(e.kind, e.text) for e in parse_fountain(src).elements] == want

def test_scene_numbers_and_levels():
    e = parse_fountain('INT. HOUSE - DAY #110A#\n\n.POOL #1.#\n\nROOM #5 OF 9\n\n## Two\n').elements
    assert [(x.kind, x.text, x.number, x.level) for x in e] == [
        ('scene_heading', 'INT. HOUSE - DAY', '110A', 0), ('scene_heading', 'POOL', '1.', 0),
        ('action', 'ROOM #5 OF 9', '', 0), ('section', 'Two', '', 2)]

def test_title_page_only_if_first_line_is_a_key():
    assert parse_fountain('\nTitle: X\n').title_page == []
    assert parse_fountain('Title: X').title_page == [('Title', 'X')]
    assert parse_fountain('Contact:\n    me\n').title_page == [('Contact', 'me')]
    assert parse_fountain('Draft date:\nTitle: X\n').title_page == []          # empty first value, nothing indented below
    sp = parse_fountain('Title: X\nstray line\n\nBOB\nHi.\n')
    assert sp.title_page == [('Title', 'X\nstray line')] and [w.line for w in sp.warnings] == [2]
    assert klt(sp) == [('character', 'BOB', 4), ('dialogue', 'Hi.', 5)]

def test_invalid_utf8_names_the_line():
    with pytest.raises(InputError, match='line 3'): parse_fountain(b'INT. A\n\nBad \xff byte\n')
    with pytest.raises(InputError, match='line 3'): parse_fountain(b'INT. A\r\n\r\nBad \xc3\x28\r\n')
    with pytest.raises(InputError, match='line 2'): parse_fountain(b'A\rB \xfe')
    with pytest.raises(InputError, match='text or bytes'): parse_fountain(42)

def test_unclosed_note_in_multiline_dialogue_names_its_line():
    sp = parse_fountain('BOB\nFine.\nBut [[wait\nthere.\n')
    assert [(w.line, "'[['" in w.message) for w in sp.warnings] == [(3, True)]

def test_dual_needs_a_partner():
    sp = parse_fountain('A\nHi.\n\nB ^\nHo.\n\nC ^\nHa.\n')
    assert [e.dual for e in sp.elements if e.kind == 'character'] == [False, True, False]   # C's partner is already paired
    assert [w.line for w in sp.warnings] == [7]

# ---------------------------------------------------------------- scale and speed (correctness only: no timed asserts)

def test_five_thousand_scenes():
    parts = ['Title: Long', '']
    for n in range(1, 5001):
        parts += [f'INT. ROOM {n} - DAY #{n}#', '', f'Action {n}.', '', 'MARA' if n % 2 else 'ELI', f'Line {n}.', '']
    sp = parse_fountain('\n'.join(parts))
    heads = [e for e in sp.elements if e.kind == 'scene_heading']
    assert len(heads) == 5000 and len(sp.elements) == 20000 and sp.warnings == []
    assert [h.number for h in heads] == [str(n) for n in range(1, 5001)]
    assert (heads[-1].line, sp.elements[-1].line) == (3 + 7 * 4999, 3 + 7 * 4999 + 5)
    assert_round_trip(sp)

@pytest.mark.parametrize('line', ['a' * 10_000_000, 'A' * 10_000_000 + ' ^', '[[' * 5_000_000, '/*' * 5_000_000,
                                  '(' * 10_000_000, '#' * 10_000_000, 'INT. X #' + '1' * 10_000_000 + '#', '*_' * 5_000_000])
def test_ten_megabyte_single_line(line):
    sp = parse_fountain(line + '\nnext line\n')
    assert sp.elements[0].line == 1 and sp.elements[-1].text.endswith('next line')
    kept = sum(len(e.text) for e in sp.elements)
    if line[0] == '#': assert (sp.elements[0].kind, sp.elements[0].level, kept) == ('section', 10_000_000, len('next line'))
    elif line[0] == '/':                         # every '/*/*/' cut (one '*' left of six); the last '/*' never closes
        assert 1_000_000 < kept < 2_000_000 and '/*' not in sp.elements[0].text[:-20] and [w.line for w in sp.warnings] == [1]
    else: assert kept >= 10_000_000

def test_parse_benchmark_reports_consistent_figures():
    r = parse_benchmark(0.3, seed=1)
    assert set(r) == {'bytes', 'seconds', 'mb_per_s', 'elements', 'scenes'}
    assert r['bytes'] >= 300_000 and r['elements'] > r['scenes'] > 50 and r['seconds'] > 0
    assert abs(r['mb_per_s'] - r['bytes'] / 1e6 / r['seconds']) < 0.05 * r['mb_per_s'] + 0.01
    r2 = parse_benchmark(0.6, seed=1)
    assert 1.7 < r2['bytes'] / r['bytes'] < 2.3 and r2['scenes'] > r['scenes']
    assert parse_benchmark(0.3, seed=1)['elements'] == r['elements'] != parse_benchmark(0.3, seed=2)['elements']

# ---------------------------------------------------------------- writing

def test_writer_forces_only_where_needed():
    sp = Screenplay(elements=[Element('scene_heading', 'INT. HOUSE - DAY', number='3'), Element('scene_heading', 'the pool'),
                              Element('action', 'BOB\nhi'), Element('action', 'Bob\nhi'), Element('character', 'McCLANE'),
                              Element('dialogue', 'Hi.'), Element('character', 'BOB', dual=True), Element('dialogue', 'Ho.'),
                              Element('transition', 'CUT TO:'), Element('transition', 'FADE OUT.'), Element('lyrics', 'la')])
    lines = write_fountain(sp).split('\n')
    assert lines[:12] == ['INT. HOUSE - DAY #3#', '', '.the pool', '', '!BOB', 'hi', '', 'Bob', 'hi', '', '@McCLANE', 'Hi.']
    assert lines[12:] == ['', 'BOB ^', 'Ho.', '', 'CUT TO:', '', '>FADE OUT.', '', '~la', '']

def test_writer_title_page_and_key_like_first_line():
    sp = Screenplay([('Title', 'A\nB'), ('Contact', 'x\n\ny'), ('Draft date', '')], [Element('action', 'Go.')])
    assert write_fountain(sp) == 'Title:\n    A\n    B\nContact:\n    x\n  \n    y\nDraft date:\n\nGo.\n'
    assert_round_trip(sp)
    assert write_fountain(Screenplay([('Draft date', ''), ('Title', 'X')])) == 'Draft date:\n  \nTitle: X\n'
    assert_round_trip(Screenplay([('Draft date', ''), ('Title', 'X')]))
    text = assert_round_trip(Screenplay(elements=[Element('action', 'Note: not a title page.')]))
    assert text.startswith('\n')

@pytest.mark.parametrize('els,title,where', [
    ([Element('character', 'BOB'), Element('dialogue', '(looks like a parenthetical)')], [], 'element 1'),
    ([Element('character', 'BOB'), Element('dialogue', '~looks sung')], [], 'element 1'),
    ([Element('character', 'BOB'), Element('dialogue', 'a'), Element('dialogue', 'b')], [], 'element 1'),
    ([Element('character', 'BOB')], [], 'element 0'),
    ([Element('dialogue', 'no cue')], [], 'element 0'),
    ([Element('transition', 'ends in <')], [], 'element 0'),
    ([Element('note', 'has ]] inside')], [], 'element 0'),
    ([Element('action', 'a /* b'), Element('action', 'c */ d')], [], 'element 0'),
    ([Element('scene_heading', '')], [], 'element 0'),
    ([Element('section', 'no level', level=0)], [], 'element 0'),
    ([Element('character', 'BOB', dual=True), Element('dialogue', 'x')], [], 'element 0'),
    ([Element('scene_heading', 'ROOM #5#')], [], 'element 0'),
    ([], [('Bad: key', 'x')], 'title page'),
])
def test_writer_refuses_what_fountain_cannot_spell(els, title, where):
    with pytest.raises(InputError, match=where): write_fountain(Screenplay(title, els))
    write_fountain(Screenplay(title, els), check=False)            # best effort still writes

def test_writer_unknown_kind():
    with pytest.raises(InputError, match='not a Fountain element'): write_fountain(Screenplay(elements=[Element('shot', 'x')]))

# --- property test: random screenplays full of text that looks like other elements

NASTY = ['Bob walks in.', 'BOB', 'INT. HOUSE - DAY', 'CUT TO:', '!bang', '@at', '.dot', '..ellipsis', '~tilde', '= syn', '===',
         '#hash', '> gt', '>center<', '[[note]]', 'Title: x', '(paren)', '*bold* and _under_', '\\*esc\\*', '黒澤', 'a ^',
         'BOB ^', 'BOB (V.O.)', '[[unclosed', ']]', '*/', 'FADE OUT.', 'ÉCOLE', '...', 'I/E VAN', 'x  y', '@McCLANE', '>', '<']
HEADINGS = ['INT. HOUSE - DAY', "ext. brick's pool - day", 'the pool', '.45 MAGNUM', '!BANG', 'EST TOWN', 'INT./EXT. CAR', '@AT',
            '~T', '#HASH', '= SYN', '[[NOTE]]', 'CUT TO:', 'BOB', '>X', 'Title: x', '黒澤の家', 'ROOM #5', '...', 'a #b']
NAMES = ['BOB', 'McCLANE', '黒澤', 'R2D2', 'DR. VOSS', '@AT', '!BANG', '~T', '#1', 'INT. BOB', 'CUT TO:', 'A^B', '.DOT', '=X', 'Title: X', '23']
EXTS = ['', '', 'V.O.', "V.O.) (CONT'D", "cont'd", 'O.S.']
DIALOGUE = ['Hello.', 'BOB', 'INT. HOUSE - DAY', '!x', '@y', '===', '# x', '= y', '> z', '>c<', '[[n]]', '', '*em*', '(not a paren',
            'paren)', 'CUT TO:', '.dot', 'Title: x', '黒澤', ']]', '[[open']
PARENS = ['(beat)', '(to BOB)', '(V.O.)', '()', '(a (nested) one)']
LYRICS = ['la la', '', '~x', '(sung)', 'BOB', '!la']
TRANSITIONS = ['CUT TO:', 'SMASH CUT TO:', 'FADE OUT.', 'Dissolve to:', '', '>x', 'BOB', 'INT. HOUSE - DAY', '!x', 'TO:', '#x']
CENTERED = ['THE END', 'a<', '>b', '', '*fin*', '<>']
NOTES = ['a note', 'multi\nline', 'a\n\nb', '[[x', 'NOTE', '  x'.strip(), 'x [y']
KEYS = ['Title', 'Credit', 'Author', 'Draft date', 'Contact', 'Notes', 'Über', "x-y_z'"]
VALUES = ['', 'The Keeper', 'multi\nline', 'a\n\nb', '\nx', '**bold**', 'Title: nested', '[[note]]', 'INT. HOUSE - DAY']

def lines(rng, pool, lo, hi): return '\n'.join(rng.choice(pool) for _ in range(rng.randint(lo, hi)))

def random_screenplay(rng):
    els, last_block_cue = [], None
    for _ in range(rng.randint(0, 14)):
        g = rng.choice(['scene_heading', 'action', 'action', 'block', 'block', 'block', 'transition', 'centered', 'section',
                        'synopsis', 'note', 'page_break', 'lyrics'])
        prev_cue, last_block_cue = last_block_cue, None
        if g == 'block':
            cue = Element('character', rng.choice(NAMES), extension=rng.choice(EXTS),
                          dual=prev_cue is not None and not prev_cue.dual and rng.random() < 0.5)
            els.append(cue); last_block_cue = cue; kinds = []
            for _ in range(rng.randint(1, 4)):
                k = rng.choice([x for x in ('parenthetical', 'dialogue', 'lyrics') if not kinds or x != kinds[-1] or x == 'parenthetical'])
                kinds.append(k)
                els.append(Element(k, rng.choice(PARENS) if k == 'parenthetical' else lines(rng, DIALOGUE if k == 'dialogue' else LYRICS, 1, 3)))
        elif g == 'lyrics':
            els.append(Element('lyrics', lines(rng, LYRICS, 1, 3)))
        elif g == 'scene_heading':
            els.append(Element(g, rng.choice(HEADINGS), number=rng.choice(['', '', '1', '12A', 'I-1-A', '1.', 'a1'])))
        elif g == 'action':
            first = rng.choice(['', '  '] ) + rng.choice(NASTY)
            els.append(Element(g, '\n'.join([first.rstrip()] + [rng.choice(['', '  ']) + rng.choice(NASTY) for _ in range(rng.randint(0, 3))])))
            els[-1].text = '\n'.join(l.rstrip() for l in els[-1].text.split('\n'))
        elif g == 'transition': els.append(Element(g, rng.choice(TRANSITIONS)))
        elif g == 'centered': els.append(Element(g, lines(rng, CENTERED, 1, 2)))
        elif g == 'section': els.append(Element(g, rng.choice(['ACT ONE', '#tag', '', '= x', 'Deep']), level=rng.randint(1, 4)))
        elif g == 'synopsis': els.append(Element(g, rng.choice(['x', '=x', '', '==', '===', 'Short one.'])))
        elif g == 'note': els.append(Element(g, rng.choice(NOTES)))
        else: els.append(Element(g))
    title = [(rng.choice(KEYS), rng.choice(VALUES)) for _ in range(rng.choice([0, 0, 1, 3]))]
    return Screenplay(title, els)

def test_round_trip_random_screenplays():
    rng = random.Random(7)
    kinds, forced = set(), 0
    for _ in range(400):
        sp = random_screenplay(rng)
        text = assert_round_trip(sp)
        kinds |= {e.kind for e in sp.elements}
        forced += sum(e.forced for e in parse_fountain(text).elements)
    assert kinds == set(KINDS) and forced > 200          # the generator really exercised every kind and the forcing marks

TOKENS = ['\n', '\n', '\n', '\n\n', ' ', '  ', '\t', 'A', 'b', 'BOB', 'INT. ', 'EXT ', '.', '..', '!', '@', '~', '=', '===', '#', '##',
          '>', '<', '(', ')', '^', '[[', ']]', '*', '_', '\\', ':', 'Title:', 'TO:', 'CUT TO:', '#1#', '黒', '\r', '\r\n', 'x y', '  \n']

def test_any_text_parses_and_its_parse_writes_back():
    "Whatever the input, the parser never fails and what it finds can always be written back (a fixpoint)."
    rng = random.Random(3)
    for _ in range(3000):
        sp = parse_fountain(''.join(rng.choice(TOKENS) for _ in range(rng.randint(1, 60))))
        assert all(e.kind in KINDS and e.line >= 1 for e in sp.elements)
        text = assert_round_trip(sp)
        assert write_fountain(parse_fountain(text)) == text

# ---------------------------------------------------------------- strip_markup

@pytest.mark.parametrize('src,want', [
    ('*italic* **bold** ***bold italic*** _underline_', 'italic bold bold italic underline'),
    ('**_bold underline_** and _**both**_', 'bold underline and both'),
    ('He dialed *69 and then *23.', 'He dialed *69 and then *23.'),
    ('2 * 3 = 6', '2 * 3 = 6'),
    ('\\*not italic\\* \\_ \\\\ back', '*not italic* _ \\ back'),
    ('snake_case_name stays', 'snake_case_name stays'),
    ('Hit or stand? [[too polite?]]  Well.', 'Hit or stand? Well.'),
    ('Before [[a note\nover lines]] after', 'Before after'),
    ('[[unclosed note', '[[unclosed note'),
    ('  spaced\t\tout  \n\n\n next ', 'spaced out\n\nnext'),
    ('*across\nlines*', '*across\nlines*'),
    ('', ''),
])
def test_strip_markup(src, want):
    assert strip_markup(src) == want

def test_strip_markup_on_parsed_dialogue():
    sp = parse_file('elements.fountain')
    d = next(e for e in sp.elements if e.kind == 'dialogue')
    assert strip_markup(d.text) == 'Is anyone up there?\nHello?\n\nAnyone?'

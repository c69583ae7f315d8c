"Screenplay import from PDF (fixtures built here with fpdf2) and from loosely formatted plain text."
import io, textwrap, time
import pytest
from fpdf import FPDF
from aistudio.core import InputError
from aistudio.pdf import screenplay_from_pdf, screenplay_from_text

class ScriptPDF:
    "Pages laid out like screenplay software: Courier 12 pt, six lines an inch; x positions in inches from the page's left edge."
    def __init__(self, fmt='letter', action=1.5, dialogue=2.5, paren=3.1, cue=3.7, right=7.5, top=1.0, dual=(2.9, 1.5, 5.9, 4.5)):
        self.pdf, self.top, self.dualx = FPDF(unit='pt', format=fmt), top, dual
        self.x = dict(action=action, dialogue=dialogue, paren=paren, cue=cue, right=right)
        self.pdf.set_font('Courier', size=12); self.pdf.set_auto_page_break(False)
    def put(self, x, text, y=None):
        self.pdf.text(x * 72, y or self.y, text)
        if y is None: self.y += 12
        return self
    def width(self, text): return self.pdf.get_string_width(text) / 72
    def right_text(self, text, y=None): return self.put(self.x['right'] - self.width(text), text, y)
    def page(self, number=None, header=''):
        self.pdf.add_page(); self.y = self.top * 72 + 9
        if number: self.right_text(f'{number}.', 0.5 * 72 + 9)
        if header: self.put(self.x['action'], header, 0.5 * 72 + 9)
        return self
    def blank(self, n=1): self.y += 12 * n; return self
    def heading(self, text, number=None):
        if number: self.put(self.x['action'] - 0.75, number, self.y).put(self.x['right'] + 0.25, number, self.y)
        return self.put(self.x['action'], text).blank()
    def action(self, text, width=60):
        for para in text.split('\n'):
            for l in textwrap.wrap(para, width): self.put(self.x['action'], l)
        return self.blank()
    def speak(self, cue, *parts, more=False):
        self.put(self.x['cue'], cue)
        for p in parts:
            for l in textwrap.wrap(p, 19 if p[0] == '(' else 35): self.put(self.x['paren' if p[0] == '(' else 'dialogue'], l)
        return self.put(self.x['cue'], '(MORE)') if more else self.blank()
    def transition(self, text): return self.right_text(text).blank()
    def centered(self, text): return self.put((self.x['action'] + self.x['right']) / 2 - self.width(text) / 2, text).blank()
    def dual(self, left, right):
        y0, ends = self.y, []
        for (cue, *parts), (xc, xd) in ((left, self.dualx[:2]), (right, self.dualx[2:])):
            self.y = y0; self.put(xc, cue)
            for p in parts:
                for l in textwrap.wrap(p, 16 if p[0] == '(' else 26): self.put(xd + (0.5 if p[0] == '(' else 0), l)
            ends.append(self.y)
        self.y = max(ends); return self.blank()
    def title(self, title, author, contact, draft):
        self.pdf.add_page(); mid = (self.x['action'] + self.x['right']) / 2
        for y, t in ((3.5, title), (4.0, 'written by'), (4.5, author)): self.put(mid - self.width(t) / 2, t, y * 72)
        for k, t in enumerate(contact): self.put(self.x['action'], t, (9.0 + k / 6) * 72)
        return self.right_text(draft, 9.0 * 72)
    def bytes(self): return bytes(self.pdf.output())

LONG = ('Waves hit the glass. MARA (60s), weathered and calm, climbs the spiral stairs with a storm lamp held high '
        'above her head, counting the steps under her breath.')
SPEECH = 'The light has to stay on. The light always has to stay on, whatever the storm does to us, and whatever the sea takes.'

def write_script(s: ScriptPDF) -> bytes:
    "A title page and three script pages using every element the importer knows."
    s.title('THE KEEPER', 'Mara Lind', ['mara@example.com', '555 0100'], 'Draft 2, 2024')
    s.page().action('FADE IN:').heading('INT. LIGHTHOUSE - NIGHT', '1').action(LONG)
    s.speak('MARA', '(to herself, the way she always does)', 'One more night.')
    s.speak('TOM (V.O.)', 'Mara? Are you up there?').transition('CUT TO:')
    s.heading('EXT. SHORE - CONTINUOUS', '2A').action('Rain.\nWind.\nNothing else.')
    cut = SPEECH.index(' the sea')
    s.speak('MARA', SPEECH[:cut], more=True)
    s.page(2).speak("MARA (CONT'D)", SPEECH[cut + 1:]).speak("TOM (O.S.) (CONT'D)", 'Come down!')
    s.dual(('MARA', 'Go home, Tom!'), ('TOM', '(shouting)', 'Not without you, not tonight, not ever.'))
    s.action('They stand in the rain.')
    s.page(3).heading('INT. LIGHTHOUSE - DAWN', '3').action('The lamp still burns.').centered('THE END').transition('FADE OUT.')
    return s.bytes()

EXPECTED = [
    ('action', 'FADE IN:'), ('scene_heading', 'INT. LIGHTHOUSE - NIGHT'), ('action', LONG),
    ('character', 'MARA'), ('parenthetical', '(to herself, the way she always does)'), ('dialogue', 'One more night.'),
    ('character', 'TOM'), ('dialogue', 'Mara? Are you up there?'), ('transition', 'CUT TO:'),
    ('scene_heading', 'EXT. SHORE - CONTINUOUS'), ('action', 'Rain.\nWind.\nNothing else.'),
    ('character', 'MARA'), ('dialogue', SPEECH), ('character', 'TOM'), ('dialogue', 'Come down!'),
    ('character', 'MARA'), ('dialogue', 'Go home, Tom!'), ('character', 'TOM'), ('parenthetical', '(shouting)'),
    ('dialogue', 'Not without you, not tonight, not ever.'), ('action', 'They stand in the rain.'),
    ('scene_heading', 'INT. LIGHTHOUSE - DAWN'), ('action', 'The lamp still burns.'), ('centered', 'THE END'), ('transition', 'FADE OUT.')]
TITLE = [('Title', 'THE KEEPER'), ('Credit', 'written by'), ('Author', 'Mara Lind'), ('Contact', 'mara@example.com\n555 0100'),
         ('Draft date', 'Draft 2, 2024')]

def kinds(sp): return [(e.kind, e.text) for e in sp.elements]
def details(sp): return [(e.text, e.number, e.extension, e.dual) for e in sp.elements if e.kind in ('scene_heading', 'character')]
DETAILS = [('INT. LIGHTHOUSE - NIGHT', '1', '', False), ('MARA', '', '', False), ('TOM', '', 'V.O.', False),
           ('EXT. SHORE - CONTINUOUS', '2A', '', False), ('MARA', '', '', False), ('TOM', '', "O.S.) (CONT'D", False),
           ('MARA', '', '', False), ('TOM', '', '', True), ('INT. LIGHTHOUSE - DAWN', '3', '', False)]

@pytest.fixture(scope='module')
def letter(): return write_script(ScriptPDF())

def test_letter_script_elements(letter):
    sp = screenplay_from_pdf(letter)
    assert kinds(sp) == EXPECTED
    assert details(sp) == DETAILS
    assert sp.title_page == TITLE
    assert sp.warnings == [] and sp.unclassified == []

def test_lines_are_per_page(letter):
    sp = screenplay_from_pdf(letter)
    # page 2: the heading is its 2nd printed line (after FADE IN: and a blank); page 3 starts with its page number
    by_text = {e.text: e.line for e in sp.elements}
    assert by_text['FADE IN:'] == 1 and by_text['INT. LIGHTHOUSE - NIGHT'] == 2 and by_text[LONG] == 3
    assert by_text['Come down!'] == 5            # page 3: "2." (1), MARA (CONT'D) (2), two speech lines, TOM (O.S.) (4)
    assert by_text['INT. LIGHTHOUSE - DAWN'] == 2
    assert [e.line for e in sp.elements if e.kind == 'character'][-2:] == [6, 6]   # dual cues share a printed line

def test_a4_margins_are_learned(letter):
    a4 = ScriptPDF('A4', action=1.2, dialogue=2.2, paren=2.7, cue=3.4, right=7.2, top=1.2, dual=(2.6, 1.2, 5.5, 4.3))
    sp = screenplay_from_pdf(write_script(a4))
    assert kinds(sp) == EXPECTED and details(sp) == DETAILS and sp.title_page == TITLE and not sp.unclassified

def test_sources_and_callback(tmp_path, letter):
    p = tmp_path / 'keeper.pdf'; p.write_bytes(letter)
    calls = []
    sp = screenplay_from_pdf(str(p), callback=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert kinds(screenplay_from_pdf(p)) == kinds(sp) == kinds(screenplay_from_pdf(bytearray(letter)))

def test_header_wrapped_break_and_unclassified():
    s = ScriptPDF()
    s.page().heading('INT. ATTIC - DAY').action('Dust.').speak('TOM', SPEECH)   # a full-width speech shows the column's width
    s.put(3.7, 'ANNA').put(2.5, 'Roses are red,').put(2.5, 'violets are blue.').blank()   # a line break, not a wrap
    s.put(6.2, 'scribble').blank()                        # nowhere an element sits
    s.page(2, header='BLUE REV. 03/04/24').action('Later.')
    s.page(3, header='BLUE REV. 03/04/24').action('Much later.').put(7.9, '*', s.y - 24)   # a revision mark beside the action
    sp = screenplay_from_pdf(s.bytes())
    assert kinds(sp) == [('scene_heading', 'INT. ATTIC - DAY'), ('action', 'Dust.'), ('character', 'TOM'), ('dialogue', SPEECH), ('character', 'ANNA'),
                         ('dialogue', 'Roses are red,\nviolets are blue.'), ('action', 'Later.'), ('action', 'Much later.')]
    assert [(w.page, w.line) for w in sp.unclassified] == [(1, 11)] and "'scribble'" in sp.unclassified[0].message
    assert str(sp.unclassified[0]).startswith('page 1, line 11: ')
    assert [(w.page, w.line, w.message) for w in sp.warnings] == [(2, 1, "skipped running header 'BLUE REV. 03/04/24' (and wherever it repeats)")]

def test_more_without_continuation_is_reported():
    s = ScriptPDF()
    s.page().heading('INT. ATTIC - DAY').speak('ANNA', 'I was going to say', more=True)
    s.page(2).action('The lights go out.')
    sp = screenplay_from_pdf(s.bytes())
    assert kinds(sp)[-2:] == [('dialogue', 'I was going to say'), ('action', 'The lights go out.')]
    assert len(sp.warnings) == 1 and 'ANNA' in sp.warnings[0].message and sp.warnings[0].page == 2

def test_single_page_without_title():
    sp = screenplay_from_pdf(ScriptPDF().page().action('A single line of action.').bytes())
    assert sp.title_page == [] and kinds(sp) == [('action', 'A single line of action.')]

# --- bad input -----------------------------------------------------------------------------------------------------

def raises(source, *words):
    with pytest.raises(InputError) as e: screenplay_from_pdf(source)
    msg = str(e.value).lower()
    assert all(w.lower() in msg for w in words), msg

def test_blank_and_empty_pdfs():
    pdf = FPDF(); pdf.add_page(); raises(bytes(pdf.output()), 'no text', 'blank')
    from pypdf import PdfWriter
    buf = io.BytesIO(); PdfWriter().write(buf); raises(buf.getvalue(), 'no pages')

def test_scanned_pdf(tmp_path):
    from PIL import Image, ImageDraw
    img = Image.new('RGB', (612, 792), 'white'); ImageDraw.Draw(img).text((100, 100), 'INT. HOUSE - DAY', fill='black')
    img.save(tmp_path / 'scan.pdf', 'PDF')
    raises(tmp_path / 'scan.pdf', 'no text layer', 'OCR', 'export a text PDF')

def test_password_protected():
    s = ScriptPDF().page().action('Secret.')
    s.pdf.set_encryption(owner_password='owner', user_password='reader')
    raises(s.bytes(), 'password-protected', 'unprotected copy')

def test_owner_password_only_still_reads():
    s = ScriptPDF().page().action('Printable but locked against editing.')
    s.pdf.set_encryption(owner_password='owner')
    assert kinds(screenplay_from_pdf(s.bytes())) == [('action', 'Printable but locked against editing.')]

def test_not_a_pdf_and_truncated(tmp_path, letter):
    raises(b'INT. HOUSE - DAY\n\nThis is text.', 'not a PDF')
    raises(b'%PDF-1.4\n', 'damaged or truncated')
    raises(letter[:len(letter) // 3], 'damaged or truncated')
    raises(tmp_path / 'missing.pdf', 'no file')
    raises(42, 'path or as bytes')

# --- plain text ----------------------------------------------------------------------------------------------------

EXPORT = '''
                                                                   2.
     1   INT. LIGHTHOUSE - NIGHT                                      1

         Waves hit the glass. MARA (60s), weathered and calm, climbs
         the spiral stairs with a storm lamp held high.

                              MARA
                    (to herself)
                    One more night. Just one more night
                    and then I sleep.
                              (MORE)
\f
                              MARA (CONT'D)
                    Until the ship comes in.

                    BOB                          ALICE
          Stay.                        Go.

                                                              CUT TO:
'''

def test_text_export_with_spaces():
    sp = screenplay_from_text(EXPORT)
    assert kinds(sp) == [('scene_heading', 'INT. LIGHTHOUSE - NIGHT'),
                         ('action', 'Waves hit the glass. MARA (60s), weathered and calm, climbs the spiral stairs with a storm lamp held high.'),
                         ('character', 'MARA'), ('parenthetical', '(to herself)'),
                         ('dialogue', 'One more night. Just one more night and then I sleep. Until the ship comes in.'),
                         ('character', 'BOB'), ('dialogue', 'Stay.'), ('character', 'ALICE'), ('dialogue', 'Go.'), ('transition', 'CUT TO:')]
    assert [e.line for e in sp.elements][:3] == [3, 5, 8] and sp.elements[0].number == '1' and sp.elements[7].dual
    assert sp.unclassified == [] and sp.warnings == [] and all(w.page == 0 for w in sp.warnings)

def test_chat_style():
    sp = screenplay_from_text('Anna: Where were you?\nBOB (V.O.): Out.\nAnna (whispering): Out where?\n'
                              'Dr. Smith: (quietly) Nowhere you would\nfollow me.\n\nNote: this is not a speaker, and it is the longest line here.')
    assert [(e.kind, e.text, e.extension) for e in sp.elements] == [
        ('character', 'Anna', ''), ('dialogue', 'Where were you?', ''), ('character', 'BOB', 'V.O.'), ('dialogue', 'Out.', ''),
        ('character', 'Anna', ''), ('parenthetical', '(whispering)', ''), ('dialogue', 'Out where?', ''),
        ('character', 'Dr. Smith', ''), ('parenthetical', '(quietly)', ''), ('dialogue', 'Nowhere you would\nfollow me.', ''),
        ('action', 'Note: this is not a speaker, and it is the longest line here.', '')]

def test_loose_headings_and_prose():
    sp = screenplay_from_text('ACT ONE\n\nScene 1: The kitchen at night\n\nRain taps on the window. The kettle starts to sing and\n'
                              'nobody moves to take it off.\n\nSCENE TWO\n\nint. garden - day\n\n3. EXT. ROAD - DUSK\n\n* * *\n\nThe end.')
    assert [(e.kind, e.text, e.number, e.line) for e in sp.elements] == [
        ('section', 'ACT ONE', '', 1), ('scene_heading', 'The kitchen at night', '1', 3),
        ('action', 'Rain taps on the window. The kettle starts to sing and nobody moves to take it off.', '', 5),
        ('scene_heading', 'SCENE TWO', '2', 8), ('scene_heading', 'int. garden - day', '', 10),
        ('scene_heading', 'EXT. ROAD - DUSK', '3', 12), ('action', 'The end.', '', 16)]
    assert [(w.line, w.page) for w in sp.unclassified] == [(14, 0)] and "'* * *'" in sp.unclassified[0].message

def test_fountain_like_text():
    sp = screenplay_from_text('Title: The Keeper\nAuthor: Mara Lind\n\nINT. LIGHTHOUSE - NIGHT #1#\n\nMara climbs.\n\nMARA\n(quietly)\n'
                              'One more night.\nJust one.\n\nTOM ^\nNo.\n\nCUT TO:\n\n> THE END <\n\n===\n\n.FLASHBACK')
    assert sp.title_page == [('Title', 'The Keeper'), ('Author', 'Mara Lind')]
    assert [(e.kind, e.text) for e in sp.elements] == [
        ('scene_heading', 'INT. LIGHTHOUSE - NIGHT'), ('action', 'Mara climbs.'), ('character', 'MARA'), ('parenthetical', '(quietly)'),
        ('dialogue', 'One more night.\nJust one.'), ('character', 'TOM'), ('dialogue', 'No.'), ('transition', 'CUT TO:'),
        ('centered', 'THE END'), ('page_break', ''), ('scene_heading', 'FLASHBACK')]
    assert sp.elements[0].number == '1' and sp.elements[5].dual and sp.elements[-1].forced

def test_bad_text():
    for bad in ('', ' \n\t\n', '\f'):
        with pytest.raises(InputError, match='empty'): screenplay_from_text(bad)
    with pytest.raises(InputError, match='UTF-8'): screenplay_from_text(b'\xff\xfe INT.')
    with pytest.raises(InputError, match='string'): screenplay_from_text(3)
    assert kinds(screenplay_from_text('INT. HOUSE - DAY'.encode())) == [('scene_heading', 'INT. HOUSE - DAY')]

def test_hostile_text_is_linear():
    "Long runs that would make naive regexes backtrack: must finish promptly and keep every word."
    big = 'a' + ' ' * 200_000 + 'b#x\n' + '(' * 100_000 + '\n' + 'Word ' * 50_000
    t0 = time.perf_counter(); sp = screenplay_from_text(big)
    print(f'hostile text: {time.perf_counter() - t0:.2f} s')
    assert sum(e.text.count('Word') for e in sp.elements) == 50_000 and sp.elements[0].text.startswith('a')

@pytest.mark.slow
def test_hundred_pages():
    s = ScriptPDF()
    for p in range(1, 101):
        s.page(p if p > 1 else None).heading(f'INT. ROOM {p} - DAY', str(p)).action(LONG)
        for k in range(4): s.speak('MARA' if k % 2 else 'TOM', '(beat)', SPEECH)
    data = s.bytes()
    t0 = time.perf_counter(); sp = screenplay_from_pdf(data)
    print(f'100-page PDF ({len(data) // 1024} KiB): {time.perf_counter() - t0:.2f} s')
    assert [e.number for e in sp.elements if e.kind == 'scene_heading'] == [str(p) for p in range(1, 101)]
    assert sum(e.kind == 'dialogue' and e.text == SPEECH for e in sp.elements) == 400 and not sp.unclassified and not sp.warnings

def test_dialogue_first_page_is_not_a_title_page():
    "Letter dialogue (2.5-6.0 in) is centred on the page; a first page of speeches must still read as script."
    s = ScriptPDF()
    s.page().speak('DR. JOHNSON', 'We have waited long enough for them.').speak('MARA', 'Then we go tonight, all of us.')
    s.page(2).heading('EXT. SHORE - NIGHT').speak('DR. JOHNSON', 'Tonight it is.')
    sp = screenplay_from_pdf(s.bytes())
    assert sp.title_page == [] and kinds(sp)[:4] == [('character', 'DR. JOHNSON'), ('dialogue', 'We have waited long enough for them.'),
                                                     ('character', 'MARA'), ('dialogue', 'Then we go tonight, all of us.')]

def test_title_page_with_credit_and_author_on_one_line():
    s = ScriptPDF(); mid = 4.5
    s.pdf.add_page()
    for y, t in ((3.5, 'NIGHT SHIFT'), (3.7, 'a short film'), (4.2, 'by Ann Lee'), (5.0, 'Based on the story by Joe Bloggs')):
        s.put(mid - s.width(t) / 2, t, y * 72)
    s.page().heading('INT. OFFICE - NIGHT')
    assert screenplay_from_pdf(s.bytes()).title_page == [('Title', 'NIGHT SHIFT\na short film'), ('Credit', 'by'), ('Author', 'Ann Lee'),
                                                         ('Source', 'Based on the story by Joe Bloggs')]

def test_rotated_watermark_is_skipped_and_reported():
    s = ScriptPDF().page().heading('INT. OFFICE - NIGHT').action('Quiet.')
    with s.pdf.rotation(45, 300, 400): s.pdf.text(200, 400, 'CONFIDENTIAL')
    sp = screenplay_from_pdf(s.bytes())
    assert kinds(sp) == [('scene_heading', 'INT. OFFICE - NIGHT'), ('action', 'Quiet.')] and not sp.unclassified
    assert [(w.page, w.line) for w in sp.warnings] == [(1, 0)] and '12 rotated characters' in sp.warnings[0].message

def test_many_form_feeds_stay_linear():
    pages = '\f'.join(f'                                                  {p}.\n\n     INT. ROOM {p} - DAY\n\n                    BOB\n          Hi.\n' for p in range(1, 3001))
    t0 = time.perf_counter(); sp = screenplay_from_text(pages)
    print(f'3000 text pages: {time.perf_counter() - t0:.2f} s')
    assert [e.text for e in sp.elements if e.kind == 'scene_heading'] == [f'INT. ROOM {p} - DAY' for p in range(1, 3001)]
    assert sum(e.kind == 'dialogue' for e in sp.elements) == 3000 and not sp.unclassified and not sp.warnings

"Property checks of aistudio.subtitle on random word streams; ASS, karaoke and soft tracks checked by rendering with ffmpeg."
import math, os, re, tempfile
from pathlib import Path
import numpy as np
import pytest
from aistudio import media
from aistudio.core import InputError
from aistudio.subtitle import (Cue, SubtitleStyle, ass_escape, cues_from_words, mux_subtitles, parse_srt, shift_cues, style_for,
                               to_ass, to_srt, to_vtt, wrap_lines)
from aistudio.voice import Word

WJ = '\u2060'

def test_subtitle_roundtrip_random():
    rng = np.random.default_rng(0)
    words, t = [], 0.0
    for i in range(300):
        w = ''.join(rng.choice(list('abcdefghij<>&{}\\:\'')) for _ in range(rng.integers(1, 12)))
        if rng.random() < 0.15: w += rng.choice([',', '.', '?'])
        d = float(rng.uniform(0.1, 0.6)); words.append(Word(w, round(t, 3), round(t + d, 3))); t += d + float(rng.exponential(0.2))
    cues = cues_from_words(words, offset=3.0, max_chars=30)
    assert parse_srt(to_srt(cues)) == [Cue(c.start, c.end, c.text) for c in cues]
    assert ' '.join(c.text.replace('\n', ' ') for c in cues) == ' '.join(w.text for w in words)
    assert all(len(l) <= 30 for c in cues for l in c.text.split('\n'))
    assert all(b.start - a.end >= 2 / 24 - 1e-6 for a, b in zip(cues, cues[1:]))
    assert all(c.duration <= 7.0 for c in cues)
    for i, c in enumerate(cues):   # shorter than min_dur only when boxed in by its neighbours (two frames either side)
        if c.duration < 0.833:
            assert i + 1 < len(cues) and abs(cues[i + 1].start - c.end - 0.084) < 1.5e-3, c
            assert i == 0 or abs(c.start - cues[i - 1].end - 0.084) < 1.5e-3 or c.start == 0, c
    assert '<' not in to_vtt(cues).split('\n', 2)[2].replace('&lt;', '')

# ---------------------------------------------------------------- line and timing rules on many random word streams

def _stream(rng, n, *, pairable):
    "n timed words: `pairable` streams have short words (<= 12 chars) lasting <= 1.5 s; others anything, URLs and piled-up times included."
    words, t = [], float(rng.uniform(0, 3))
    for _ in range(n):
        if pairable: w = ''.join(rng.choice(list('abcdefghijklmnopqrstuvwxyz'), rng.integers(1, 13)))
        else: w = ''.join(rng.choice(list("abcdefghijklmnop{}\\:'[];%<>&-"), int(rng.choice([1, 2, 4, 7, 12, 30, 60]))))
        if rng.random() < 0.2: w += str(rng.choice(list(',.?!;:')))
        d = float(rng.uniform(0.05, 1.5)) if pairable else float(rng.choice([0.0, 0.01, 0.2, 0.5, 2.0, 9.0]))
        words.append(Word(w, round(t, 3), round(t + d, 3)))
        t += d + float(rng.choice([0.0, 0.02, 0.1, 0.3, 0.8, 1.5, 3.0]) if rng.random() < 0.5 else rng.exponential(0.15))
    return words

def _phrases(words):
    "Index lists of words separated by silences of 1.2 s or more (after offset, as cues_from_words splits them)."
    out, heard = [], -math.inf
    for i, w in enumerate(words):
        if out and w.start - heard < 1.2: out[-1].append(i)
        else: out.append([i])
        heard = max(heard, w.end)
    return out

def _check(words, cues, *, max_chars, max_lines, min_dur, max_dur, fps, offset, pairable):
    gap = 2 / fps
    tokens = [w.text for w in words]
    if pairable: assert ' '.join(c.text.replace('\n', ' ') for c in cues).split() == tokens
    flat = [x for c in cues for x in c.words]
    assert ''.join(x[0] for x in flat) == ''.join(tokens)                      # every word (or piece of a long one) kept, in order
    for c in cues:
        lines = c.text.split('\n')
        assert 1 <= len(lines) <= max_lines and all(0 < len(l) <= max_chars for l in lines), c
        assert [x[0] for x in c.words] == c.text.split(), c                    # the cue's words are its text
        if len(lines) > 1: assert wrap_lines(c.text.split(), max_chars, len(lines) - 1) is None, c   # no more lines than needed
        assert c.duration <= max_dur + 1e-9, c
        if len(c.words) > 1: assert max(x[2] for x in c.words) - c.words[0][1] <= max_dur + 2e-3, c
        heard = math.inf
        for x in c.words:                                                       # no long silence inside a cue
            assert x[1] - heard < 1.2 + 1e-6, c
            heard = x[2] if heard == math.inf else max(heard, x[2])
        ws = c.text.split()
        if max_lines == 2 and len(lines) == 2 and len(ws) >= 4 and min(len(l.split()) for l in lines) == 1:
            assert not any(len(' '.join(ws[:k])) <= max_chars and len(' '.join(ws[k:])) <= max_chars for k in range(2, len(ws) - 1)), c
    for a, b in zip(cues, cues[1:]):
        assert b.start - a.end >= gap - 1e-6, (a, b)                            # two frames of nothing between cues
    eps = 2e-3
    abuts = lambda i: 0 < i < len(cues) and abs(cues[i].start - cues[i - 1].end - gap) < eps     # cue i starts 2 frames after i-1
    for i, c in enumerate(cues):
        nxt = cues[i + 1].start - gap if i + 1 < len(cues) else math.inf
        if c.start > c.words[0][1] + 1e-6:                                      # on screen later than heard: only after a pile-up
            assert abuts(i) and cues[i - 1].duration <= min_dur + eps, cues[i - 1:i + 1]
        want = min(max(x[2] for x in c.words), c.words[0][1] + max_dur, nxt)
        if c.end < want - eps:                                                  # off screen early: only to give a short next cue time
            assert c.duration >= min_dur - eps and abuts(i + 1) and cues[i + 1].duration <= min_dur + eps, cues[i:i + 2]
        if c.duration < min_dur - 1e-6:                                         # too short only when boxed in
            assert i + 1 < len(cues) and abs(c.end - nxt) < eps, (c, cues[i + 1])
            assert (i == 0 and c.start == 0) or (abuts(i) and (cues[i - 1].duration <= min_dur + eps or c.end <= c.words[0][1] + eps)), cues[i - 1:i + 1]
    if pairable:   # a one-word cue only for a phrase of one word: every other phrase can be cut into cues of 2 or 3 words
        alone, k = {p[0] for p in _phrases(words) if len(p) == 1}, 0
        for c in cues:
            assert len(c.words) > 1 or k in alone, c
            k += len(c.words)

@pytest.mark.parametrize('seed', range(6))
def test_cue_rules_hold_on_random_streams(seed):
    rng = np.random.default_rng(seed)
    for k in range(40):
        pairable = k % 2 == 0
        kw = dict(max_chars=int(rng.choice([32, 42])) if pairable else int(rng.choice([8, 20, 32, 42])),
                  max_lines=2 if pairable else int(rng.integers(1, 4)), min_dur=0.833, max_dur=7.0 if pairable else float(rng.choice([7.0, 4.0])),
                  fps=int(rng.choice([24, 25, 30, 60])))
        words = _stream(rng, int(rng.integers(1, 80)), pairable=pairable)
        offset = float(rng.choice([0.0, 12.5]))
        cues = cues_from_words(words, offset=offset, **kw)
        _check([Word(w.text, w.start + offset, w.end + offset) for w in words], cues, offset=offset, pairable=pairable, **kw)

def test_cue_rules_prose():
    "A real-looking monologue: every cue ends on punctuation or a full word, lines balanced, no orphans."
    text = ("I kept the lamp burning for thirty years, through every storm this coast could throw at me. Then one night, "
            "a boat came in without a soul aboard, and the sea went quiet. I have not slept since. Would you? Tell me honestly, "
            "would you sleep, knowing what waits out there past the rocks?")
    t, words = 0.0, []
    for w in text.split():
        words.append(Word(w, round(t, 3), round(t + 0.28, 3))); t += 0.33 + (0.4 if w[-1] in ',.?' else 0)
    cues = cues_from_words(words)
    _check(words, cues, max_chars=42, max_lines=2, min_dur=0.833, max_dur=7.0, fps=24, offset=0, pairable=True)
    lean = {'a', 'the', 'of', 'and', 'to', 'in', 'at', 'what', 'is'}
    assert not any(c.text.split()[-1].lower() in lean for c in cues), [c.text for c in cues]
    for c in cues:
        lines = c.text.split('\n')
        if len(lines) == 2 and not re.search(r'[,.?!]', lines[0]):             # no punctuation to prefer: balanced
            assert abs(len(lines[0]) - len(lines[1])) <= 16, c.text

def test_cue_positional_and_words():
    c = Cue(1, 2.5, 'a b', 'MARA')
    assert (c.start, c.end, c.text, c.speaker, c.words) == (1.0, 2.5, 'a b', 'MARA', [])
    d = Cue(1, 2.5, 'a b', 'MARA', [Word('a', 1, 1.5), ('b', 2.0004, 2.4)])
    assert d.words == [('a', 1.0, 1.5), ('b', 2.0, 2.4)]
    assert shift_cues([d], 1.0)[0].words == [('a', 2.0, 2.5), ('b', 3.0, 3.4)]
    with pytest.raises(InputError, match='fps'): cues_from_words([Word('a', 0, 1)], fps=-1)

# ---------------------------------------------------------------- SRT / VTT on hostile text

HOSTILE = ['{\\an8}evil', '{\\pos(0,0)}moved', 'one\\Ntwo', "it's", 'a: b', 'x; y', '[0:v]', '%{pts}', 'back\\slash', '\\',
           '<i>tag</i> & co', '--> 00:00:01,000', '}{', '\\h\\n\\{', '&lt;b&gt; &amp; &#60;']

def test_srt_vtt_hostile_roundtrip():
    rng = np.random.default_rng(1)
    cues = []
    for i in range(200):
        parts = [str(rng.choice(HOSTILE)) if rng.random() < 0.5 else ''.join(rng.choice(list('ab 12:{}\\<>&-;\'[]%\n'), 8)) for _ in range(3)]
        text = ' '.join(parts)
        if not text.strip(): text = 'x'
        cues.append(Cue(i * 2.0, i * 2.0 + 1.5, text))
    back = parse_srt(to_srt(cues))
    norm = lambda t: '\n'.join(l.strip() for l in t.split('\n') if l.strip())
    assert [(c.start, c.end, c.text) for c in back] == [(c.start, c.end, norm(c.text)) for c in cues]
    vtt = to_vtt(cues)
    blocks = vtt.split('\n\n')[1:]
    assert len([b for b in blocks if b.strip()]) == len(cues)
    for b, c in zip(blocks, cues):
        timing, *payload = b.rstrip('\n').split('\n')
        assert timing.count('-->') == 1 and all('-->' not in l and '<' not in l for l in payload)
        unesc = '\n'.join(payload).replace('&lt;', '<').replace('&gt;', '>').replace('&amp;', '&')
        assert unesc == norm(c.text)

# ---------------------------------------------------------------- ASS

def _dialogues(ass):
    return [l.split(',', 9) for l in ass.split('\n') if l.startswith('Dialogue:')]

def test_ass_document_structure():
    cues = [Cue(0.5, 2.0, 'Hello,\nworld', 'MARA, the keeper'), Cue(2.2, 3.0, t := '{\\an8}evil \\N [0:v];%{pts}:\'x\''), Cue(3600, 3601.234, 'late')]
    for w, h in ((1280, 720), (720, 1280), (1080, 1080)):
        ass = to_ass(cues, w, h)
        assert re.findall(r'^\[(.+)\]$', ass, re.M) == ['Script Info', 'V4+ Styles', 'Events']
        assert f'PlayResX: {w}\n' in ass and f'PlayResY: {h}\n' in ass and 'ScaledBorderAndShadow: yes' in ass and 'WrapStyle: 0' in ass
        fmt = next(l for l in ass.split('\n') if l.startswith('Format: Name')).split(': ', 1)[1].split(', ')
        style = dict(zip(fmt, next(l for l in ass.split('\n') if l.startswith('Style: ')).split(': ', 1)[1].split(',')))
        assert len(style) == len(fmt) == 23 and style['Fontname'] == media.FONT_NAME and style['Alignment'] == '2'
        st = style_for(w, h)
        assert int(style['Fontsize']) == round(st.size * h) and int(style['MarginV']) == round(st.margin_v * h)
        ev = _dialogues(ass)
        assert len(ev) == 3 and all(len(e) == 10 for e in ev)
        assert [e[1:3] for e in ev] == [['0:00:00.50', '0:00:02.00'], ['0:00:02.20', '0:00:03.00'], ['1:00:00.00', '1:00:01.23']]
        assert ev[0][4] == 'MARA the keeper' and ev[0][9] == 'Hello,\\Nworld'
        assert ev[1][9] == ass_escape(t) and ev[1][9].replace('\\{', '{').replace('\\}', '}').replace(WJ, '') == t
    tall = style_for(720, 1280)
    assert 0.16 <= tall.margin_v <= 0.20 and 0.07 <= tall.margin_l <= 0.09 and tall.line_chars(720, 1280) < 42
    with pytest.raises(InputError): to_ass(cues, 1280, 720, style=SubtitleStyle(size=2))
    with pytest.raises(InputError): to_ass(cues, 1280, 720, style=SubtitleStyle(font=',,,'))

def _render(ass_text, w, h, times, filt='ass', pix='gray'):
    "Frames (at `times` seconds) of a black w x h, 10 fps video with `ass_text` burned in by ffmpeg's `filt` filter."
    with tempfile.TemporaryDirectory() as wd:
        Path(wd, 'subs.ass').write_text(ass_text, encoding='utf-8'); os.symlink(media.font_dir(), Path(wd, 'fonts'))
        n = int(max(times) * 10) + 1
        media.run_ffmpeg(['-f', 'lavfi', '-i', f'color=black:s={w}x{h}:r=10:d={n / 10}', '-vf', f'{filt}=filename=subs.ass:fontsdir=fonts',
                          '-frames:v', n, '-f', 'rawvideo', '-pix_fmt', pix, 'out.raw'], cwd=wd)
        ch = 3 if pix == 'rgb24' else 1
        frames = np.frombuffer(Path(wd, 'out.raw').read_bytes(), np.uint8).reshape(n, h, w, ch)
    return [frames[round(t * 10)].squeeze() for t in times]

@pytest.mark.parametrize('filt', ['ass', 'subtitles'])
def test_ass_hostile_text_drawn_literally(filt):
    "Each hostile text against the same text with its special characters removed: more ink, same place, same number of lines."
    w, h = 360, 640
    texts = ['{\\an8}evil', '{\\pos(0,0)}moved', 'one\\Ntwo', "it's", 'a: b', 'x; y', '[0:v]', '%{pts}', 'back\\slash\\', '{\\fs80}big',
             '{\\c&H0000FF&}red', 'a\\hb\\nc']
    strip = lambda t: re.sub(r"[{}\\\\:';\[\]%]", '', t)
    st = style_for(w, h, size=0.06)
    evil = _render(to_ass([Cue(i, i + 1, t) for i, t in enumerate(texts)], w, h, style=st), w, h, [i + 0.5 for i in range(len(texts))], filt)
    clean = _render(to_ass([Cue(i, i + 1, strip(t)) for i, t in enumerate(texts)], w, h, style=st), w, h, [i + 0.5 for i in range(len(texts))], filt)
    for t, e, c in zip(texts, evil, clean):
        ink_e, ink_c = e > 100, c > 100
        assert e.astype(int).sum() > c.astype(int).sum() * 1.03 > 0, t                   # the special characters are drawn, in white
        re_, rc = np.nonzero(ink_e.any(1))[0], np.nonzero(ink_c.any(1))[0]
        assert re_.min() > h * 0.55 and abs(re_.max() - rc.max()) <= h * 0.02, t         # still at the bottom ({\an8}, {\pos} ignored)
        assert re_.max() - re_.min() <= (rc.max() - rc.min()) * 1.5 + 4, t               # one line (\N did not break it, \fs did not grow it)
        cols = np.nonzero(ink_e.any(0))[0]
        assert abs((cols.min() + cols.max()) / 2 - w / 2) < w * 0.1, t                     # still centred

def test_ass_escape_leaves_no_markup():
    rng = np.random.default_rng(2)
    for _ in range(500):
        t = ''.join(rng.choice(list('ab{}\\Nnh\n\t\x01 '), int(rng.integers(0, 30))))
        e = ass_escape(t)
        body = e.replace('\\{', '').replace('\\}', '').replace('\\N', '')   # what is left after the escapes we mean
        assert '{' not in body and '}' not in body and not re.search(r'\\(?!' + WJ + ')', body), (t, e)
        assert e.replace('\\N', '\n').replace('\\{', '{').replace('\\}', '}').replace(WJ, '') == re.sub(r'[\x00-\x08\x0b-\x1f]', '', t.replace('\t', ' '))

# ---------------------------------------------------------------- karaoke

def test_karaoke_durations_sum_to_the_cue():
    rng = np.random.default_rng(3)
    for _ in range(30):
        words = _stream(rng, int(rng.integers(1, 40)), pairable=True)
        cues = cues_from_words(words, offset=float(rng.uniform(0, 5)))
        ev = _dialogues(to_ass(cues, 1280, 720, karaoke=True))
        assert len(ev) == len(cues)
        for e, c in zip(ev, cues):
            s, t = [round(sum(float(x) * f for x, f in zip(v.split(':'), (3600, 60, 1))) * 100) for v in e[1:3]]
            durs = list(map(int, re.findall(r'\{\\kf?(\d+)\}', e[9])))
            assert sum(durs) == t - s and t - s == round(c.end * 100) - round(c.start * 100)
            assert e[9].count('\\kf') == len(c.words)
            assert re.sub(r'\{\\kf?\d+\}', '', e[9]).replace('\\N', '\n') == c.text
            # each word's sweep starts when the word is heard (to the centisecond), clamped into the event
            k, starts = 0, []
            for tag, d in re.findall(r'\{\\(kf?)(\d+)\}', e[9]):
                if tag == 'kf': starts.append(k)
                k += int(d)
            assert starts == [min(max(round(x[1] * 100) - s, 0), t - s) for x in c.words] or any(
                a[1] > b[1] for a, b in zip(c.words, c.words[1:]))
    # no word timings, or text edited after timing: even shares
    for c in (Cue(0, 2, 'one two three four'), Cue(0, 2, 'other text', words=[('one', 0, 1), ('two', 1, 2)])):
        durs = list(map(int, re.findall(r'\\kf(\d+)', _dialogues(to_ass([c], 640, 360, karaoke=True))[0][9])))
        assert sum(durs) == 200 and max(durs) - min(durs) <= 1 and len(durs) == len(c.text.split())

def test_karaoke_highlight_follows_the_words():
    w, h = 320, 180
    cue = Cue(0, 3, 'one two', words=[('one', 0.0, 0.6), ('two', 1.8, 2.4)])
    st = style_for(w, h, size=0.12, colour='#ffffff', highlight='#ffd400')
    f0, f1, f2 = _render(to_ass([cue], w, h, style=st, karaoke=True), w, h, [0.2, 1.2, 2.8], pix='rgb24')
    def colours(f):   # mean colour of the bright glyph pixels in the left and right half of the text
        ink = f.astype(int).sum(2) > 400
        cols = np.nonzero(ink.any(0))[0]; mid = (cols.min() + cols.max()) // 2
        return [f[:, a:b][ink[:, a:b]].mean(0) for a, b in ((cols.min(), mid), (mid, cols.max() + 1))]
    yellow = lambda c: c[2] < 120 and c[0] > 200 and c[1] > 170
    white = lambda c: min(c) > 200
    (l0, r0), (l1, r1), (l2, r2) = colours(f0), colours(f1), colours(f2)
    assert white(r0) and white(r1) and yellow(r2), (r0, r1, r2)          # 'two' is white until it is spoken, then highlighted
    assert yellow(l1) and yellow(l2), (l1, l2)                           # 'one' highlighted once spoken, and stays so
    assert not yellow(l0) or not white(l0)                               # 0.2 s: 'one' is being swept (part white, part yellow)

# ---------------------------------------------------------------- soft subtitle track

@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp('clip')
    media.run_ffmpeg(['-f', 'lavfi', '-i', 'color=gray:s=64x36:r=24:d=3', '-f', 'lavfi', '-i', 'sine=d=3', '-c:v', 'libx264', '-preset',
                      'ultrafast', '-c:a', 'aac', '-shortest', d / 'in.mp4'])
    media.run_ffmpeg(['-f', 'lavfi', '-i', 'color=gray:s=64x36:r=24:d=2', '-c:v', 'libx264', '-preset', 'ultrafast', d / 'silent.mp4'])
    return d

def _md5(path, stream):
    return media.ffmpeg_output(['-i', path, '-map', stream, '-c', 'copy', '-f', 'md5', 'pipe:1'])

def test_mux_soft_track(clip):
    texts = ['Who is knocking\nat my door?'] + HOSTILE
    cues = [Cue(0.05 + 0.2 * i, 0.2 + 0.2 * i, t, 'MARA') for i, t in enumerate(texts)]
    out = mux_subtitles(clip / 'in.mp4', cues, clip / 'out.mp4', language='fra', title="Français: l'été [0:v]")
    info = media.run_ffmpeg(['-i', out, '-f', 'null', '-'])
    assert re.search(r'Stream #0:2\S*\(fra\): Subtitle: mov_text', info), info
    assert re.search(r"handler_name +: Français: l'été \[0:v\]", info), info
    assert _md5(out, '0:v') == _md5(clip / 'in.mp4', '0:v') and _md5(out, '0:a') == _md5(clip / 'in.mp4', '0:a')   # stream copies
    p = media.probe(out)
    assert p['video']['codec'] == 'h264' and p['audio']['codec'] == 'aac'
    with tempfile.TemporaryDirectory() as wd:
        media.run_ffmpeg(['-i', out, '-map', '0:s:0', Path(wd, 'out.srt')])
        back = parse_srt(Path(wd, 'out.srt').read_text(encoding='utf-8'))
    norm = lambda t: '\n'.join(l.strip() for l in t.split('\n') if l.strip())
    assert [(c.start, c.end) for c in back] == [(c.start, c.end) for c in cues]
    assert [c.text.replace(WJ, '') for c in back] == [norm(c.text) for c in cues]
    assert [c.text for c in back if WJ in c.text] == [c.text for c in back if re.search(r'\{\u2060\\|\\\u2060[nN]', c.text)]   # joiners only where needed
    # mux again over the output itself (atomic), and into a video without audio
    mux_subtitles(out, cues[:1], out)
    assert len(parse_srt(media.ffmpeg_output(['-i', out, '-map', '0:s:0', '-f', 'srt', 'pipe:1']).decode())) == 1
    silent = mux_subtitles(clip / 'silent.mp4', cues[:2], clip / 'silent_subs.mp4')
    assert 'Subtitle: mov_text' in media.run_ffmpeg(['-i', silent, '-f', 'null', '-']) and media.probe(silent)['audio'] is None

def test_mux_bad_input(clip):
    c = [Cue(0, 1, 'x')]
    for kw, msg in ((dict(language='english'), 'ISO 639-2'), (dict(language='EN"'), 'ISO 639-2')):
        with pytest.raises(InputError, match=msg): mux_subtitles(clip / 'in.mp4', c, clip / 'bad.mp4', **kw)
    with pytest.raises(InputError, match='no cues'): mux_subtitles(clip / 'in.mp4', [], clip / 'bad.mp4')
    with pytest.raises(InputError, match='no video'): mux_subtitles(clip / 'missing.mp4', c, clip / 'bad.mp4')
    assert not (clip / 'bad.mp4').exists()

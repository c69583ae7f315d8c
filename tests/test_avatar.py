"Tests of the avatar core: actor DNA (JSON, clamping, descriptions, portraits), viseme timing, and the 2D talking renderer."
import json, struct, zlib, warnings
import numpy as np
import pytest
from PIL import Image, ImageDraw
from aistudio.core import InputError
from aistudio.film import Character
from aistudio.voice import SpeechOutput, Word
from aistudio.avatar import (EXPRESSIONS, VISEMES, ActorDNA, VisemeTrack, audio_envelope, dna_from_character, dna_from_description,
                             edit, visemes_from_audio, visemes_from_speech)
from aistudio.face2d import mouth_opening, render_avatar_frames, render_talking_clip
from aistudio.portrait import dna_from_portrait


def still_track(n=1, **w):
    d = {v: np.zeros(n, np.float32) for v in VISEMES + EXPRESSIONS}; d['sil'][:] = 1
    for k, v in w.items(): d[k] = np.asarray(v, np.float32) * np.ones(n, np.float32)
    return VisemeTrack(25, d)


def rgb(h): return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)])


# --- Actor DNA -------------------------------------------------------------------------------------------------------

def test_dna_json_round_trip():
    for d in (ActorDNA(), dna_from_description('a tall man with red hair, green eyes and a navy suit', name='Ro', seed=4),
              edit(ActorDNA(), style='cartoon', hair_style='braid', jaw=0.1, face_width=0.7, skin='#5a3420')):
        s = d.to_json(); back = ActorDNA.from_json(s)
        assert back == d and json.loads(s)['version'] == 1 and json.loads(s)['blendshapes'] == list(VISEMES + EXPRESSIONS)


def test_out_of_range_values_clamped_with_warnings():
    bad = {'version': 1, 'face_width': 5.0, 'eye_size': 0.1, 'jaw': float('nan'), 'hair': 'blue', 'style': 'anime', 'mouth_width': 1.0}
    with pytest.warns(UserWarning) as rec:
        d = ActorDNA.from_dict(bad)
    msgs = ' | '.join(str(r.message) for r in rec)
    assert (d.face_width, d.eye_size, d.jaw, d.hair, d.style) == (1.3, 0.7, 0.5, '#3a2a1a', 'flat')
    for name in ('face_width', 'eye_size', 'jaw', 'hair', 'style'): assert name in msgs
    assert len(rec) == 5 and not d.check()
    assert ActorDNA(face_height=1.5).check() and not ActorDNA().check()


def test_dna_version_and_fields_checked():
    with pytest.raises(InputError, match='newer'): ActorDNA.from_dict({'version': 2})
    with pytest.raises(InputError, match='unknown fields: nose'): ActorDNA.from_dict({'version': 1, 'nose': 3})
    with pytest.raises(InputError, match='not valid JSON'): ActorDNA.from_json('{')
    with pytest.raises(InputError, match='0.8 to 1.2'): edit(ActorDNA(), eye_spacing=1.5)
    with pytest.raises(InputError, match='#rrggbb'): edit(ActorDNA(), lips='red')
    with pytest.raises(InputError, match='no field'): edit(ActorDNA(), version=3)
    assert edit(ActorDNA(), eye_spacing=1.2, hair_style='bun').hair_style == 'bun'


def test_description_rules():
    a = dna_from_description('An elderly woman with long silver hair, hazel eyes, in a purple cardigan and a gold scarf')
    assert (a.hair, a.hair_style, a.eyes, a.top, a.accent) == ('#c8c8cc', 'long', '#8a6a30', '#6a3a90', '#d0a020')
    assert a.face_height > 1.05 and a.eye_size < 0.95
    k = dna_from_description('a chubby kid, red-haired, brown eyes, olive skin, wearing a white t-shirt')
    assert (k.hair, k.eyes, k.skin, k.top) == ('#a0401a', '#6a4428', '#c89868', '#eeeeea')
    assert k.eye_size > 1.15 and k.face_width > 1.15
    r = dna_from_description('he wears a red coat; his hair is black')   # red goes to the coat, black to the hair
    assert (r.top, r.hair) == ('#b03028', '#151010')
    assert dna_from_description('bald, thin, cartoon').hair_style == 'bald'
    assert dna_from_description('bald, thin, cartoon').style == 'cartoon'


def test_description_deterministic_and_seeded():
    t = 'a young woman with short black hair'
    assert dna_from_description(t, 'A', 1) == dna_from_description(t, 'A', 1)
    assert dna_from_description(t, 'A', 1) != dna_from_description(t, 'A', 2)
    assert dna_from_description(t, 'A', 1).hair == dna_from_description(t, 'B', 7).hair


@pytest.mark.parametrize('text,word', [('un homme âgé aux cheveux roux et aux yeux verts', 'cheveux'),
                                       ('eine junge Frau mit blonden Haaren', 'blonden'), ('穿红衣服的老人', '穿红衣服的老人')])
def test_foreign_description_defaults_with_warning(text, word):
    with pytest.warns(UserWarning, match=word):
        d = dna_from_description(text)
    base = ActorDNA()
    assert (d.hair, d.skin, d.eyes, d.top, d.hair_style) == (base.hair, base.skin, base.eyes, base.top, base.hair_style)


def test_dna_from_character():
    c = dna_from_character(Character('Nell', age=80, gender='female', look='in a green coat'))
    assert (c.name, c.hair_style, c.top) == ('Nell', 'long', '#2f8040') and c.hair == '#b0aca8' and c.face_height > 1.05
    b = dna_from_character(Character('Kit', age=7, gender='male'))
    assert b.hair_style == 'short' and b.eye_size > 1.15
    assert dna_from_character(Character('Kit', age=7, gender='male')) == b
    with pytest.raises(InputError): dna_from_character({'name': 'x'})


# --- Visemes ---------------------------------------------------------------------------------------------------------

def runs(mask, fps):
    "(start, end) seconds of the runs where mask is true."
    m = np.concatenate([[0], mask.astype(int), [0]]); d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1) / fps, np.flatnonzero(d == -1) / fps))


def test_bilabials_close_and_vowels_open_at_word_times_without_audio():
    words = [Word('Bob', 0.40, 0.80), Word('moss', 1.20, 1.65), Word('up', 2.10, 2.40)]
    sp = SpeechOutput(np.zeros(48000 * 3, np.float32), 48000, words, 3.0)
    tr = visemes_from_speech(sp, fps=100); mo = tr.mouth_open()
    closed = runs(tr.weights['PP'] > 0.95, 100)
    starts = [s for s, _ in closed]; ends = [e for _, e in closed]
    # b at the start and end of "Bob", m at the start of "moss", p at the end of "up": within 40 ms of the word edges
    assert min(abs(s - 0.40) for s in starts) < 0.04 and min(abs(e - 0.80) for e in ends) < 0.04
    assert min(abs(s - 1.20) for s in starts) < 0.04 and min(abs(e - 2.40) for e in ends) < 0.04
    assert len(closed) == 4, closed
    for a, b in ((0.40, 0.80), (1.20, 1.65), (2.10, 2.40)):
        assert mo[int(a * 100) + 3:int(b * 100) - 3].max() > 0.5         # the vowel opens the mouth inside the word
    assert tr.weights['sil'][:30].min() == 1 and tr.weights['sil'][int(0.95 * 100):int(1.1 * 100)].min() == 1   # at rest between words
    assert mo[:30].max() == 0


def test_phoneme_times_follow_the_audio():
    "'papa' with the closures and vowels at known, uneven times (silent stops, vowels as voiced tones)."
    sr = 16000; t = np.arange(int(sr * 1.6)) / sr
    known = {'p1': (0.50, 0.58), 'a1': (0.58, 0.90), 'p2': (0.90, 0.98), 'a2': (0.98, 1.08)}
    voiced = np.zeros_like(t)
    for k in ('a1', 'a2'): voiced[(t >= known[k][0]) & (t < known[k][1])] = 1
    audio = (0.3 * voiced * np.sign(np.sin(2 * np.pi * 140 * t)) * (0.6 + 0.4 * np.sin(2 * np.pi * 700 * t))).astype(np.float32)
    sp = SpeechOutput(audio, sr, [Word('papa', 0.50, 1.08)], 1.6)
    tr = visemes_from_speech(sp, fps=100); mo = tr.mouth_open()
    closed = runs(tr.weights['PP'] > 0.95, 100)
    assert len(closed) == 2, closed
    for (s, e), k in zip(closed, ('p1', 'p2')):
        assert abs(s - known[k][0]) <= 0.04 and abs(e - known[k][1]) <= 0.04, (k, s, e)
    for k in ('a1', 'a2'):
        mid = int(100 * sum(known[k]) / 2)
        assert mo[mid] > 0.4 and tr.weights['PP'][mid] < 0.05, (k, mo[mid])
    opened = runs(mo > 0.2, 100)
    assert abs(opened[0][0] - known['a1'][0]) <= 0.04, opened      # the mouth opens when the first vowel starts


def test_text_without_word_times_and_audio_fallback():
    sp = SpeechOutput(np.zeros(24000, np.float32), 48000, [], 0.5)
    tr = visemes_from_speech(sp, fps=50, text='map')
    pp = runs(tr.weights['PP'] > 0.95, 50)
    assert len(pp) == 2 and pp[0][0] < 0.05 and pp[-1][1] > 0.45   # m at the start, p at the end of the half second
    sr = 16000; t = np.arange(sr) / sr
    x = (0.3 * np.sin(2 * np.pi * 150 * t) * (t > 0.5)).astype(np.float32)
    tr = visemes_from_speech(SpeechOutput(x, sr, [], 1.0), fps=25)     # no words, no text: the loudness drives the mouth
    assert tr.weights['aa'][:10].max() == 0 and tr.weights['aa'][15:].min() > 0.5
    with pytest.raises(InputError, match='no duration'): visemes_from_speech(SpeechOutput(np.zeros(0, np.float32), sr, [], 0.0))
    with pytest.raises(InputError, match='fps'): visemes_from_speech(sp, fps=2.5)


def test_other_languages_phonemes():
    sp = SpeechOutput(np.zeros(48000, np.float32), 48000, [Word('bonjour', 0.2, 0.7), Word('maman', 0.7, 1.0)], 1.0)
    tr = visemes_from_speech(sp, fps=100, language='fr')
    pp = runs(tr.weights['PP'] > 0.95, 100)
    assert len(pp) == 3 and abs(pp[0][0] - 0.2) < 0.04, pp        # b of bonjour, both m of maman
    assert tr.weights['ou'].max() > 0.9                            # the 'ou' of bonjour rounds the lips


@pytest.mark.parametrize('engine', ['espeakng', 'piper'])
def test_phonemize_engines_agree(engine):
    from aistudio.avatar import ipa_phonemes, phonemize
    pytest.importorskip('espeakng_loader') if engine == 'espeakng' else pytest.importorskip('piper')
    for word, want in (('Bob', ['PP', 'aa', 'PP']), ('much', ['PP', 'aa', 'CH']), ('five', ['FF', 'aa', 'ih', 'FF'])):
        assert [v for _, v, _ in ipa_phonemes(phonemize(word, engine=engine))] == want, (word, phonemize(word, engine=engine))
    with pytest.raises(InputError): phonemize('x', language='en us; rm', engine='piper')


def test_bilabial_shut_in_a_frame_at_25fps():
    sp = SpeechOutput(np.zeros(48000, np.float32), 48000, [Word('a map', 0.3, 0.62)], 1.0)
    tr = visemes_from_speech(sp, fps=25)
    assert tr.weights['PP'].max() >= 0.99 and tr.fps == 25 and tr.frames == 25 and abs(tr.duration - 1.0) < 1e-9


def test_emotions_blinks_and_head():
    sp = SpeechOutput(np.zeros(48000, np.float32), 48000, [Word('well', 2.0, 2.5), Word('then', 2.6, 3.0)], 20.0)
    fps = 50
    j, a, s, n = (visemes_from_speech(sp, fps=fps, emotion=e, seed=3) for e in ('joy', 'anger', 'surprise', 'neutral'))
    speak = slice(int(2.0 * fps), int(3.0 * fps))
    assert j.weights['smile'][speak].min() > 0.5 and a.weights['frown'][speak].min() > 0.5 and s.weights['brow_raise'][speak].min() > 0.5
    assert j.weights['frown'].max() == 0 and n.weights['smile'].max() == 0 and n.weights['frown'].max() == 0
    with pytest.raises(InputError, match='emotion'): visemes_from_speech(sp, emotion='smug')
    blinks = runs(n.weights['blink_l'] > 0.5, fps)
    gaps = np.diff([b for b, _ in blinks]); lens = [e - b for b, e in blinks]
    assert 3 <= len(blinks) <= 10 and gaps.min() >= 1.9 and gaps.max() <= 6.1, blinks
    assert max(lens) <= 0.12 and np.array_equal(n.weights['blink_l'], n.weights['blink_r'])
    full = runs(n.weights['blink_l'] > 0.02, fps)
    assert 0.1 <= np.median([e - b for b, e in full]) <= 0.2
    deg = np.degrees(n.head)
    assert np.abs(deg).max() < 5 and np.abs(deg).max() > 0.5 and np.abs(np.diff(deg, axis=0)).max() < 0.3   # small and smooth
    again = visemes_from_speech(sp, fps=fps, seed=3)
    assert np.array_equal(again.head, n.head) and not np.array_equal(visemes_from_speech(sp, fps=fps, seed=4).head, n.head)


def test_visemes_from_audio_follow_envelope():
    sr = 16000; t = np.arange(sr * 3) / sr
    env = np.clip(np.sin(2 * np.pi * 1.5 * t), 0, 1)
    x = (0.4 * env * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    tr = visemes_from_audio(x, sr, fps=25)
    e = audio_envelope(x, sr, 25)[:tr.frames]
    assert np.corrcoef(tr.weights['aa'], e)[0, 1] > 0.9
    assert np.allclose(tr.weights['sil'] + tr.weights['aa'], 1)
    with pytest.raises(InputError): visemes_from_audio(np.zeros(0, np.float32), sr)
    with pytest.raises(InputError): visemes_from_audio(x, sr, fps=0)


# --- Renderer --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('smile,style', [(0.0, 'flat'), (0.8, 'cartoon'), (0.0, 'realistic')])
def test_mouth_opening_measures_the_drawn_mouth(smile, style):
    d = edit(ActorDNA(), style=style)
    aa = np.linspace(0, 1, 11)
    tr = still_track(11, aa=aa, sil=1 - aa, smile=smile)
    frames = list(render_avatar_frames(d, tr, (256, 256)))
    op = np.array([mouth_opening(f, d) for f in frames])
    assert op[0] == 0 and np.all(np.diff(op) >= 0) and op[-1] > 15
    expect = aa * 0.30 * 0.27 * 256            # jaw opening x the largest opening of this layout
    assert np.abs(op[1:] - expect[1:]).max() <= 2.5, (op, expect)


def test_viseme_track_checks():
    t = VisemeTrack(25, {'aa': np.ones(5)})
    assert t.frames == 5 and t.weights['sil'].tolist() == [1] * 5 and t.weights['PP'].sum() == 0 and t.head.shape == (5, 3)
    with pytest.raises(InputError, match='unknown blendshapes'): next(render_avatar_frames(ActorDNA(), VisemeTrack(25, {'jawOpen': np.ones(3)})))
    with pytest.raises(InputError, match='same length'): VisemeTrack(25, {'aa': np.ones(3), 'PP': np.ones(4)})
    with pytest.raises(InputError, match='head'): VisemeTrack(25, {'aa': np.ones(3)}, head=np.zeros((2, 3)))


def test_render_checks_and_background():
    d = ActorDNA()
    with pytest.raises(InputError, match='size'): next(render_avatar_frames(d, still_track(), (255, 256)))
    with pytest.raises(InputError): next(render_avatar_frames({'skin': '#fff'}, still_track()))
    f = next(render_avatar_frames(d, still_track(), (128, 96), background='#102030'))
    assert f.shape == (96, 128, 3) and tuple(f[0, 0]) == (16, 32, 48)


@pytest.fixture(scope='module')
def piper():
    from aistudio.voice import PiperVoice
    return PiperVoice.from_pretrained()


def lag_scan(op, env, fps, max_ms=100):
    "Pearson r of mouth opening and loudness for each lag (positive: the mouth comes later), in ms."
    n = min(len(op), len(env)); op, env = op[:n], env[:n]; L = max(1, max_ms * fps // 1000)
    return {k * 1000 // fps: np.corrcoef(op[max(0, k):n + min(0, k)], env[max(0, -k):n - max(0, k)])[0, 1] for k in range(-L, L + 1)}


@pytest.mark.parametrize('text', ["Maybe the people who built this boat never meant to come back.",
                                  "She sells sea shells by the sea shore, every single morning."])
def test_piper_lipsync_follows_the_voice(piper, text):
    sp = piper(text, seed=0)
    d = dna_from_description('a woman with long black hair')
    for fps in (100, 25):
        tr = visemes_from_speech(sp, fps=fps)
        op = np.array([mouth_opening(f, d) for f in render_avatar_frames(d, tr, (192, 192))])
        r = lag_scan(op, audio_envelope(sp.audio, sp.sample_rate, fps), fps)
        best = max(r, key=r.get)
        print(f"lip-sync {fps} fps: r at zero lag {r[0]:.3f}, best lag {best} ms (r {r[best]:.3f})")
        assert r[0] > 0.6 and abs(best) < 40


def test_render_talking_clip(tmp_path):
    from aistudio.media import probe, write_wav
    sr = 24000; x = (0.3 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)).astype(np.float32)
    wav = write_wav(tmp_path / 'a.wav', x, sr)
    sp = SpeechOutput(x, sr, [Word('hello there', 0.1, 0.9)], 1.0)
    out = render_talking_clip(dna_from_description('curly red hair'), visemes_from_speech(sp, fps=25), wav, tmp_path / 'x' / 'c.mp4', (160, 120))
    info = probe(out)
    assert (info['video']['width'], info['video']['height'], info['video']['fps']) == (160, 120, 25.0)
    assert info['audio'] and abs(info['duration'] - 1.0) < 0.1 and [p.name for p in out.parent.iterdir()] == ['c.mp4']
    with pytest.raises(InputError, match='no audio'): render_talking_clip(ActorDNA(), still_track(), tmp_path / 'none.wav', tmp_path / 'd.mp4')


# --- Portraits -------------------------------------------------------------------------------------------------------

def png_header(w, h):
    "A PNG with a valid header claiming w x h pixels (and no real image data)."
    def chunk(t, data): return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data))
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b'\0' * 16)) + chunk(b'IEND', b'')


def test_portrait_refusals(tmp_path):
    (tmp_path / 'notes.png').write_text('hello, not a picture')
    with pytest.raises(InputError, match='not an image'): dna_from_portrait(tmp_path / 'notes.png')
    with pytest.raises(InputError, match='not an image'): dna_from_portrait(b'GIF89a garbage')
    with pytest.raises(InputError, match='no image file'): dna_from_portrait(tmp_path / 'missing.jpg')
    one = tmp_path / 'one.png'; Image.new('RGB', (1, 1), (200, 150, 120)).save(one)
    with pytest.raises(InputError, match='at least 32'): dna_from_portrait(one)
    bomb = tmp_path / 'bomb.png'; bomb.write_bytes(png_header(20000, 20000))
    assert bomb.stat().st_size < 200
    with pytest.raises(InputError, match='too large'): dna_from_portrait(bomb)
    with pytest.raises(InputError, match='too large'): dna_from_portrait(png_header(8000, 6000))
    rng = np.random.default_rng(0)
    for img in (np.full((240, 200, 3), 128, np.uint8), rng.integers(0, 256, (240, 200, 3), dtype=np.uint8),
                np.linspace(0, 1, 240 * 200 * 3).reshape(240, 200, 3)):
        with pytest.raises(InputError, match='no face'): dna_from_portrait(img)
    with pytest.raises(InputError): dna_from_portrait(42)


def drawn_face(skin, hair, eyes, lips, top, bg=(150, 180, 210), size=(300, 380), long=False):
    "A simple front-facing face drawn with PIL, independent of the avatar renderer."
    W, H = size; im = Image.new('RGB', size, bg); d = ImageDraw.Draw(im)
    cx, cy, rx, ry = W / 2, H * 0.42, W * 0.22, H * 0.2
    d.ellipse((cx - 1.6 * rx, cy + 1.3 * ry, cx + 1.6 * rx, cy + 3.5 * ry), fill=top)
    if long: d.rectangle((cx - 1.2 * rx, cy - 0.9 * ry, cx + 1.2 * rx, cy + 1.4 * ry), fill=hair)
    d.rectangle((cx - 0.3 * rx, cy + 0.8 * ry, cx + 0.3 * rx, cy + 1.35 * ry), fill=skin)
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=skin)
    d.chord((cx - 1.05 * rx, cy - 1.15 * ry, cx + 1.05 * rx, cy - 0.3 * ry), 180, 360, fill=hair)
    for sx in (-1, 1):
        ex, ey, r = cx + sx * 0.4 * rx, cy - 0.15 * ry, 0.17 * rx
        d.ellipse((ex - 1.4 * r, ey - r, ex + 1.4 * r, ey + r), fill=(255, 255, 255))
        d.ellipse((ex - 0.8 * r, ey - 0.8 * r, ex + 0.8 * r, ey + 0.8 * r), fill=eyes)
        d.ellipse((ex - 0.3 * r, ey - 0.3 * r, ex + 0.3 * r, ey + 0.3 * r), fill=(0, 0, 0))
    d.ellipse((cx - 0.35 * rx, cy + 0.45 * ry, cx + 0.35 * rx, cy + 0.6 * ry), fill=lips)
    return im


@pytest.mark.parametrize('colours,long', [
    (dict(skin='#e8b898', hair='#6a4020', eyes='#3070b0', lips='#c05060', top='#30a050'), False),
    (dict(skin='#6a4024', hair='#101010', eyes='#5a3a1a', lips='#903040', top='#e0c030'), True),
    (dict(skin='#f2d0b8', hair='#e0c070', eyes='#40a060', lips='#d07080', top='#8030a0'), True)])
def test_portrait_gives_the_drawn_colours_back(tmp_path, colours, long):
    im = drawn_face(*(tuple(rgb(colours[k])) for k in ('skin', 'hair', 'eyes', 'lips', 'top')), long=long)
    p = tmp_path / 'face.png'; im.save(p)
    d = dna_from_portrait(p, name='Sam')
    for k, want in colours.items():
        err = np.abs(rgb(getattr(d, k)) - rgb(want)).max()
        assert err <= 12, (k, getattr(d, k), want)
    assert d.hair_style == ('long' if long else 'short') and d.name == 'Sam'


@pytest.mark.parametrize('size', [(300, 380), (900, 1140)])
def test_portrait_colours_survive_noise_and_jpeg(size):
    import io
    c = dict(skin='#c08a64', hair='#3a2414', eyes='#3070b0', lips='#b04858', top='#3050a0')
    im = drawn_face(*(tuple(rgb(c[k])) for k in ('skin', 'hair', 'eyes', 'lips', 'top')), size=size)
    a = np.asarray(im, np.float32) + np.random.default_rng(5).normal(0, 6, (size[1], size[0], 3))
    buf = io.BytesIO(); Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, 'JPEG', quality=85)
    d = dna_from_portrait(buf.getvalue())
    errs = {k: int(np.abs(rgb(getattr(d, k)) - rgb(v)).max()) for k, v in c.items()}
    print(size, errs)
    assert max(errs.values()) <= 15, errs


@pytest.mark.parametrize('w', [64, 100, 120, 160, 240])
@pytest.mark.parametrize('skin,hair,eyes', [((200, 150, 120), (60, 40, 20), (40, 120, 60)), ((106, 64, 36), (16, 16, 16), (90, 58, 26))])
def test_small_noisy_portrait_eyes_right_or_warned(w, skin, hair, eyes):
    "Small, noisy JPEG faces: the eye colour is either read (within 16) or left at the default with a warning, never silently wrong."
    import io
    im = drawn_face(skin, hair, eyes, (180, 80, 90), (40, 80, 160), size=(w, int(w * 1.26)))
    a = np.asarray(im, np.float32) + np.random.default_rng(5).normal(0, 6, (im.height, im.width, 3))
    buf = io.BytesIO(); Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, 'JPEG', quality=85)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter('always')
        d = dna_from_portrait(buf.getvalue())
    warned = any('eyes' in str(r.message) for r in rec)
    assert (warned and d.eyes == ActorDNA().eyes) or (not warned and np.abs(rgb(d.eyes) - eyes).max() <= 16), (w, d.eyes, warned)
    if w >= 160: assert not warned


def test_portrait_round_trip_through_the_renderer():
    src = edit(ActorDNA(), skin='#c89060', hair='#2a1c14', hair_style='short', eyes='#208060', lips='#a04050', top='#c03030',
               face_width=0.9, eye_spacing=0.9, mouth_width=1.2)
    frame = next(render_avatar_frames(src, still_track(), (400, 400)))
    got = dna_from_portrait(Image.fromarray(frame))
    for k in ('skin', 'hair', 'eyes', 'lips', 'top'): assert np.abs(rgb(getattr(got, k)) - rgb(getattr(src, k))).max() <= 12, k
    for k in ('face_width', 'eye_spacing', 'mouth_width'): assert abs(getattr(got, k) - getattr(src, k)) < 0.08, (k, getattr(got, k))
    assert got.hair_style == 'short'
    bald = next(render_avatar_frames(edit(src, hair_style='bald'), still_track(), (400, 400)))
    assert dna_from_portrait(bald).hair_style == 'bald'

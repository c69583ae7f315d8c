"Songs and recitation, measured on the audio: pitch per note, note onsets, length, pauses, peaks."
import math
import numpy as np
import pytest
from aistudio.core import InputError
from aistudio.film import Voice
from aistudio.lyrics import count_syllables
from aistudio.music import midi_hz, pitch_class_profile, pitch_class
from aistudio.song import melody_for, sing, recite, bar_chords, chord_pcs
from aistudio.voice import PEAK, estimate_f0

LINES = ['Sing a song of the river', 'and the light on the water']


@pytest.fixture(scope='module')
def song():
    return sing(LINES, Voice(), seed=0)          # the default mood, joyful: A major, 120 bpm


def _env_db(x, sr, hop):
    m = len(x) // hop
    e = np.sqrt(np.mean(x[:m * hop].reshape(m, hop) ** 2, axis=1))
    return 20 * np.log10(e + 1e-6)


def _onsets(x, sr):
    "Energy onsets (s): 5 ms frames whose level rose >= 9 dB above the quietest of the previous 40 ms, local maxima of that rise."
    hop = int(0.005 * sr); db = _env_db(x, sr, hop)
    nov = np.array([db[i] - db[max(0, i - 8):i].min() if i else 0.0 for i in range(len(db))])
    pk = [i for i in range(1, len(db) - 1) if nov[i] >= 9 and db[i] > db.max() - 35 and nov[i] >= nov[max(0, i - 6):i + 7].max()]
    return np.array(pk) * hop / sr


def test_no_words_is_an_input_error():
    for bad in ('', '   ', '... !!!\n?', ['—', '...']):
        with pytest.raises(InputError): sing(bad, Voice())
        with pytest.raises(InputError): melody_for(bad if isinstance(bad, list) else [bad])
    with pytest.raises(InputError): recite('?!\n\n...', Voice())
    with pytest.raises(InputError): melody_for(LINES, chords=(1, 9))


def test_melody_rules():
    notes = melody_for(LINES, key='D', mode='minor', chords=(1, 6, 4, 5), tempo=90, seed=3, center=55)
    assert len(notes) == sum(count_syllables(l) for l in LINES)
    assert max(n.midi for n in notes) - min(n.midi for n in notes) <= 12
    scale = {(pitch_class('D') + s) % 12 for s in (0, 2, 3, 5, 7, 8, 10)}
    assert all(n.midi % 12 in scale for n in notes)
    harm = bar_chords((1, 6, 4, 5), int(max(n.end_beat for n in notes) // 4))
    strong = [n for n in notes if n.start_beat % 2 == 0]
    assert all(n.midi % 12 in chord_pcs('D', 'minor', harm[int(n.start_beat // 4)]) for n in strong)
    ends = [max((n for n in notes if n.line == i), key=lambda n: n.start_beat) for i in (0, 1)]
    assert all(n.midi % 12 in (pitch_class('D'), pitch_class('A')) for n in ends)
    assert ends[-1].midi % 12 == pitch_class('D')
    assert all(b.start_beat >= a.end_beat - 1e-9 for a, b in zip(notes, notes[1:]))   # one note at a time
    assert notes == melody_for(LINES, key='D', mode='minor', chords=(1, 6, 4, 5), tempo=90, seed=3, center=55)


@pytest.mark.slow
def test_each_note_sung_in_tune(song):
    sr, ok, cents = song.sample_rate, 0, []
    for n in song.notes:   # the note's span minus its 60 ms release; searched a fifth either side (this voice's f0 is weak)
        ft = float(midi_hz(n.midi))
        seg = song.vocal[int(song.seconds(n.start_beat) * sr):int((song.seconds(n.end_beat) - 0.06) * sr)]
        f = estimate_f0(seg, sr, ft / 1.5, ft * 1.5)
        c = 1200 * math.log2(f / ft) if f else float('inf')
        cents.append(round(c) if f else None); ok += abs(c) <= 60
    print('cents per note:', cents)
    assert ok >= 0.8 * len(song.notes), cents


@pytest.mark.slow
def test_note_onsets_match_vocal_onsets(song):
    on = _onsets(song.vocal, song.sample_rate)
    d = [float(np.min(np.abs(on - song.seconds(n.start_beat)))) for n in song.notes]
    print('onset error ms:', [round(1000 * x) for x in d])
    assert np.mean(np.array(d) <= 0.060) >= 0.85, d


@pytest.mark.slow
def test_length_peak_and_stems(song):
    want = song.seconds(max(n.end_beat for n in song.notes))
    assert abs(song.duration - want) <= 0.02 * want
    assert song.audio.shape == (len(song.vocal), 2) == song.accompaniment.shape
    for x in (song.audio, song.vocal, song.accompaniment):
        assert np.isfinite(x).all() and float(np.abs(x).max()) <= PEAK
    assert float(np.sqrt(np.mean(song.vocal ** 2))) > 0.01
    prof = pitch_class_profile(song.accompaniment, song.sample_rate)     # joyful: A major; the tonic is among the loudest
    assert set(np.argsort(prof)[-3:]) <= {pitch_class(p) for p in ('A', 'B', 'C#', 'D', 'E', 'F#', 'G#')}
    assert pitch_class('A') in set(np.argsort(prof)[-3:])
    assert len(song.words) == sum(len(l.split()) for l in LINES)


@pytest.mark.slow
def test_recitation_pauses():
    poem = ('The river runs, the river sings,\nof quiet stones and silver things.\n\n'
            'And when the evening light is gone,\nthe river, singing, carries on.')
    r = recite(poem, Voice())
    sr, hop = r.sample_rate, int(0.005 * r.sample_rate)
    quiet = _env_db(r.audio, sr, hop) < 20 * np.log10(np.abs(r.audio).max()) - 40
    runs, i = [], 0                                         # silent runs measured on the audio: (start s, length s)
    while i < len(quiet):
        if quiet[i]:
            j = i
            while j < len(quiet) and quiet[j]: j += 1
            runs.append((i * hop / sr, (j - i) * hop / sr)); i = j
        else: i += 1
    gaps = [(a[1], b[0]) for a, b in zip(r.lines, r.lines[1:])]
    overlaps = lambda s, l, a, b: s < b and s + l > a
    within = max([l for s, l in runs if not any(overlaps(s, l, a, b) for a, b in gaps) and 0.06 < s < r.duration - 0.06] or [0.0])
    ends = [max([l for s, l in runs if overlaps(s, l, a, b)] or [0.0]) for a, b in gaps]
    assert r.stanzas == [0, 0, 1, 1]
    stanza, line_ends = ends[1], [ends[0], ends[2]]
    print('within', within, 'line ends', line_ends, 'stanza', stanza)
    assert min(line_ends) > within and stanza > max(line_ends)
    assert r.words[0].start < r.lines[0][1] and r.words[-1].end <= r.duration
    assert float(np.abs(r.audio).max()) <= PEAK


@pytest.mark.slow
def test_a_sung_line_in_a_film_is_sung(tmp_path):
    "A film's sung line (Fountain '~' lyrics) goes through aistudio.song: its audio is the song's vocal, its words the sung words."
    from aistudio.film import Character, Film, Line, Scene, Shot
    from aistudio.pipeline import _sung, make_film
    from aistudio.voice import PiperVoice
    from aistudio import media
    film = Film('Shanty', characters=[Character('MARA', 58, 'female')],
                scenes=[Scene('EXT. HARBOUR - DAY', mood='joyful', shots=[Shot('wide', 'a harbour', 6.0)],
                              lines=[Line('MARA', 'Row the boat home', sung=True), Line('MARA', 'And rest.')])])
    r = make_film(film=film, profile='test', out=tmp_path / 'run', progress='none')
    assert not [w for w in r.report['warnings'] if 'chanted' in w]
    sung, _ = media.read_wav(r.run_dir / r.film.scenes[0].lines[0].assets['audio'])
    sung = sung.reshape(len(sung), -1)[:, 0]
    voice = r.film.character('MARA').voice
    want = _sung(PiperVoice.from_pretrained(), 'Row the boat home', voice, 'joyful', (r.film.seed + 0) % 2**32)
    assert len(sung) == len(want.audio) and np.abs(sung - want.audio).max() < 1e-3
    assert np.abs(sung).max() <= PEAK + 1e-6
    spoken = PiperVoice.from_pretrained()('Row the boat home', voice=voice, seed=0)
    assert len(sung) > 1.3 * len(spoken.audio)          # sung syllables are held to their notes: longer than said

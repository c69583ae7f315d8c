"Property checks of aistudio.subtitle on random word streams."
import numpy as np
from aistudio.subtitle import Cue, cues_from_words, parse_srt, to_srt, to_vtt
from aistudio.voice import Word

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
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))
    assert all(c.duration <= 7.0 for c in cues)
    for i, c in enumerate(cues):   # shorter than min_dur only when boxed in by its neighbours
        if c.duration < 0.833:
            assert i + 1 < len(cues) and c.end == cues[i + 1].start and (i == 0 or c.start == cues[i - 1].end or c.start == 0), c
    assert '<' not in to_vtt(cues).split('\n', 2)[2].replace('&lt;', '')

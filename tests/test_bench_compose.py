"`aistudio bench --compose` on a tiny workload: the result's structure, and every variant a valid video of the film's length."
import json
import pytest
from aistudio.bench import compose_bench, compose_workload
from aistudio.core import InputError
from aistudio.edit import count_frames
from aistudio.media import probe

@pytest.mark.slow
def test_compose_bench_tiny(tmp_path, capsys):
    r = compose_bench(scenes=2, seconds_per_scene=2, width=320, height=180, moviepy=True, scaling=False, out=tmp_path)
    assert r['workload'] == {'scenes': 2, 'seconds_per_scene': 2.0, 'width': 320, 'height': 180, 'fps': 24, 'preset': 'veryfast',
                             'frames': 96, 'duration': 4.0}
    assert [x['variant'] for x in r['rows']] == ['floor', 'ours', 'moviepy']
    assert (r['floor'], r['ours'], r['moviepy']) == tuple(r['rows'])
    for row in r['rows']:
        assert (row['scenes'], row['size'], row['frames'], row['extrapolated']) == (2, '320x180', 96, False)
        assert row['wall'] > 0 and row['cpu'] > 0 and row['peak_mb'] > 1
        assert row['cpu_ratio'] == pytest.approx(row['cpu'] / r['floor']['cpu'])
        v = probe(row['output'])
        assert (v['video']['codec'], v['video']['width'], v['video']['height'], v['video']['fps']) == ('h264', 320, 180, 24.0)
        assert count_frames(row['output']) == 96                      # decodes every frame
    assert probe(r['ours']['output'])['audio']['codec'] == 'aac' and probe(r['moviepy']['output'])['audio']['codec'] == 'aac'
    assert probe(r['floor']['output'])['audio'] is None
    assert r['renderer'] in ('aistudio.edit.FFmpegComposer', 'aistudio.timeline.render_timeline') and r['renderer'] == r['ours']['renderer']
    assert r['moviepy']['renderer'].startswith('moviepy 2.')
    assert r['ours']['stages'] and all(v['wall'] >= 0 for v in r['ours']['stages'].values())
    assert sorted(r['targets']) == ['cpu_vs_floor', 'moviepy_cpu', 'moviepy_floor_cpu', 'moviepy_wall']
    t = r['targets']['cpu_vs_floor']
    assert t['value'] == pytest.approx(r['ours']['cpu_ratio']) and t['met'] == (t['value'] <= 1.3)
    out = capsys.readouterr().out
    assert 'floor' in out and 'moviepy' in out and 'target <= 1.3' in out and r['renderer'] in out

@pytest.mark.slow
def test_moviepy_extrapolated(tmp_path):
    r = compose_bench(scenes=2, seconds_per_scene=1, width=160, height=90, moviepy=1, scaling=False, out=tmp_path, quiet=True, renderer='composer')
    m = r['moviepy']
    assert m['extrapolated'] and m['measured']['scenes'] == 1 and m['measured']['frames'] == 24 and count_frames(m['output']) == 24
    assert m['frames'] == 48 and m['cpu'] == pytest.approx(2 * m['measured']['cpu'])
    assert r['renderer'] == 'aistudio.edit.FFmpegComposer'

def test_workload_is_deterministic(tmp_path):
    a = compose_workload(tmp_path / 'a', scenes=3, seconds_per_scene=1.5, fps=24)
    b = compose_workload(tmp_path / 'b', scenes=3, seconds_per_scene=1.5, fps=24)
    strip = lambda p: json.loads(json.dumps(p).replace(str(tmp_path / 'a'), 'X').replace(str(tmp_path / 'b'), 'X'))
    assert strip(a) == strip(b)
    assert [sum(s['frames'] for s in sc['shots']) for sc in a['scenes']] == [36, 36, 36]
    assert len({s['image'] for sc in a['scenes'] for s in sc['shots']}) == 6
    assert (tmp_path / 'a' / 'still-0-002-1.png').read_bytes() == (tmp_path / 'b' / 'still-0-002-1.png').read_bytes()
    assert (tmp_path / 'a' / 'voice-0-001.wav').read_bytes() == (tmp_path / 'b' / 'voice-0-001.wav').read_bytes()

def test_bad_arguments_are_input_errors(tmp_path):
    for kw in ({'width': 321}, {'scenes': 0}, {'preset': 'warp'}, {'moviepy': 5, 'scenes': 2}, {'renderer': 'gpu'}):
        with pytest.raises(InputError): compose_bench(**{'scaling': False, 'out': tmp_path, 'quiet': True, **kw})
    with pytest.raises(InputError, match='whole number of frames'): compose_workload(tmp_path, scenes=1, seconds_per_scene=1.01)

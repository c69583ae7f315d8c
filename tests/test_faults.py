"Bad input gets a clear error, and nothing half-written is left looking complete."
import json, os
from pathlib import Path
import pytest
from conftest import ROOT, run_cli
from aistudio.core import BackendError, InputError
from aistudio.registry import register_backend

@pytest.mark.parametrize('args, message', [
    (['   '], 'phrase is empty'),
    (['\x07\x1b\x01\u202e'], 'phrase is empty'),
    (['x' * 100_000], 'the limit is 2,000'),
    (['a storm', '--seconds', '0'], 'seconds must be between 5 and 1800'),
    (['a storm', '--seconds', '-5'], 'seconds must be between 5 and 1800'),
    (['a storm', '--seconds', '100000'], 'seconds must be between 5 and 1800'),
    (['a storm', '--profile', 'cinema'], "unknown profile 'cinema'"),
    (['a storm', '--aspect', '4:3'], 'use one of 16:9, 9:16, 1:1'),
    (['--script', 'missing.fountain'], 'no such screenplay file'),
    ([], 'give a phrase, or --script FILE'),
])
def test_cli_user_errors_are_one_line(tmp_path, args, message):
    r = run_cli('make', *args, '--out', tmp_path / 'run', cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.startswith('aistudio: error: ') and message in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert not (tmp_path / 'run' / 'film.mp4').exists() and not (tmp_path / 'run' / 'report.json').exists()

def test_megabyte_phrase_from_python_is_refused_quickly(tmp_path):
    from aistudio.pipeline import make_film
    with pytest.raises(InputError, match='the limit is 2,000'):
        make_film('storm ' * 200_000, out=tmp_path / 'run', progress='none')
    assert not (tmp_path / 'run').exists() or not any((tmp_path / 'run').iterdir())

def test_hostile_phrase_is_slugified(tmp_path):
    from aistudio.pipeline import make_film
    r = make_film('<script>alert(1)</script> ../../etc befriends a storm 🌩️ عاصفة', profile='test', seconds=6, progress='none',
                  settings_path=ROOT / 'settings.ini', output_dir=str(tmp_path))
    assert r.run_dir.parent == tmp_path and r.run_dir.name == 'script-alert-1-script-etc-befriends-a-storm'
    assert (r.run_dir / 'report.json').is_file()

def test_hostile_screenplay_text_is_escaped_on_the_page(tmp_path):
    from aistudio.pipeline import make_film
    from aistudio.film import sample_film
    from aistudio.screenplay import film_to_fountain
    f = sample_film()
    f.title = '<script>alert(1)</script> & "quotes" ../'
    f.scenes[0].lines[0].text = '<img src=x onerror=alert(2)> عاصفة 🌩️'
    script = tmp_path / 'hostile.fountain'; script.write_text(film_to_fountain(f))
    r = make_film(script=script, profile='test', out=tmp_path / 'run', progress='none', settings_path=ROOT / 'settings.ini')
    html = (r.run_dir / 'page' / 'index.html').read_text()
    assert '<script>alert(1)' not in html and '&lt;script&gt;alert(1)&lt;/script&gt;' in html
    assert '<img src=x' not in html and '&lt;img src=x onerror=alert(2)&gt;' in html
    assert 'عاصفة' in html and '🌩️' in html
    assert '&lt;img src=x onerror=alert(2)&gt;' not in (r.run_dir / 'film.srt').read_text()   # SRT keeps the text as text
    assert '<img src=x onerror=alert(2)>' in (r.run_dir / 'film.srt').read_text()

class Broken:
    name, version = 'broken', '1'
    @classmethod
    def from_pretrained(cls, *a, **k): return cls()
    def params(self): return {}
    def render_segment(self, *a, **k): raise BackendError('the encoder fell over')

register_backend('composer', 'broken-test', Broken)

def test_failed_run_leaves_no_complete_looking_output(tmp_path):
    from aistudio.pipeline import make_film
    with pytest.raises(BackendError, match='encoder fell over'):
        make_film('a storm at sea', profile='test', seconds=6, out=tmp_path / 'run', progress='none',
                  settings_path=ROOT / 'settings.ini', composer='broken-test')
    left = {p.name for p in (tmp_path / 'run').iterdir()}
    assert left <= {'.store'}, left
    assert not list((tmp_path / 'run').rglob('*.part*'))

def test_failed_rerun_keeps_the_previous_complete_run(small_run):
    from aistudio.pipeline import make_film
    before = (small_run.run_dir / 'film.mp4').read_bytes()
    with pytest.raises(BackendError):
        make_film(film=small_run.film, profile='test', out=small_run.run_dir, progress='none', settings_path=ROOT / 'settings.ini',
                  composer='broken-test', seed=7)
    assert (small_run.run_dir / 'report.json').is_file()
    assert (small_run.run_dir / 'film.mp4').read_bytes() == before

def test_corrupt_cached_asset_is_quarantined_and_remade(small_run):
    from aistudio.pipeline import make_film
    store = small_run.run_dir / '.store'
    _, _, line = small_run.film.lines()[0]
    victim = small_run.run_dir / line.assets['audio']
    victim.write_bytes(victim.read_bytes()[:100])          # truncate one cached voice line
    r = make_film(film=small_run.film, profile='test', out=small_run.run_dir, progress='none', settings_path=ROOT / 'settings.ini')
    assert r.report['cache']['misses'].get('voice') == 1, r.report['cache']
    assert any(p.name.endswith(victim.name) for p in (store / 'quarantine').iterdir())
    assert victim.is_file() and len(victim.read_bytes()) > 100

"The production notebook runs under papermill with a real kernel and documents its parameters."
import json, sys
from pathlib import Path
import pytest
from conftest import ROOT

NB = ROOT / 'aistudio' / 'notebooks' / 'make_film.ipynb'

def test_parameters_are_documented():
    import papermill as pm
    params = pm.inspect_notebook(str(NB))
    assert set(params) == {'phrase', 'script', 'profile', 'seconds', 'aspect', 'seed', 'out', 'executor', 'workers', 'cache_url', 'scenes'}
    assert all(p['help'] for p in params.values()), params

def test_every_shipped_job_documents_typed_parameters():
    "The five production jobs ship in the package, each with a parameters cell whose every line has a type and a help text."
    from aistudio import jobs
    shipped = {j.name: j for j in jobs.list_jobs()}
    assert set(shipped) == {'make_film', 'render_screenplay', 'render_scenes', 'batch', 'publish'}
    for j in shipped.values():
        assert j.path.parent == jobs.JOBS_DIR and j.params
        for p in j.params.values():
            assert p.help and p.type in ('str', 'int', 'float', 'bool'), (j.name, p)
            assert isinstance(p.default, {'str': str, 'int': int, 'float': (int, float), 'bool': bool}[p.type]), (j.name, p)

@pytest.mark.slow
def test_papermill_job_makes_a_film(tmp_path):
    import papermill as pm
    out_nb = tmp_path / 'run.ipynb'
    pm.execute_notebook(str(NB), str(out_nb), kernel_name='python3', cwd=str(ROOT), progress_bar=False,
                        parameters={'phrase': 'a kite that will not come down', 'profile': 'test', 'seconds': 6.0, 'out': str(tmp_path / 'film')})
    assert (tmp_path / 'film' / 'report.json').is_file() and (tmp_path / 'film' / 'film.mp4').is_file()
    text = out_nb.read_text()
    assert 'aistudio' in text and 'voice: done' in text      # progress came out as log lines

def _run(name, params, tmp_path):
    from aistudio import jobs
    return jobs.run(name, params, out=tmp_path / 'jobs', cwd=ROOT)

@pytest.mark.slow
def test_render_scenes_then_assemble(tmp_path):
    "Make a film, edit scene 2, re-render only scene 2, then assemble: only scene 2's pieces are made again."
    from aistudio.film import film_from_json, film_to_json
    r = _run('make_film', {'phrase': 'a kite over the harbour', 'profile': 'test', 'seconds': '12', 'out': str(tmp_path / 'kite')}, tmp_path)
    assert r.status == 'done', r.reason
    f = film_from_json((tmp_path / 'kite' / 'film.json').read_text())
    f.scenes[1].shots[0].prompt += ', seen through rain'
    (tmp_path / 'edited.json').write_text(film_to_json(f))
    r2 = _run('render_scenes', {'film': str(tmp_path / 'edited.json'), 'scenes': '2', 'profile': 'test', 'out': str(tmp_path / 'kite'),
                                'assemble': 'true'}, tmp_path)
    assert r2.status == 'done', r2.reason
    report = json.loads((tmp_path / 'kite' / 'report.json').read_text())
    assert report['cache']['misses'].get('paint') is None           # scene 2's new picture was made by the scenes run, not again
    scenes = json.loads((tmp_path / 'kite' / 'scenes.json').read_text())
    assert list(scenes['scenes']) == ['2'] and scenes['cache']['misses']['paint'] == 1 and scenes['cache']['misses']['compose'] == 1

@pytest.mark.slow
def test_render_screenplay_batch_and_publish(tmp_path):
    play = tmp_path / 'salt.fountain'
    play.write_text("Title: Salt\n\nEXT. HARBOUR - DAY\n\nGulls wheel over the boats.\n\nMARA\nThe tide is turning.\n")
    r = _run('render_screenplay', {'script': str(play), 'profile': 'test', 'out': str(tmp_path / 'salt')}, tmp_path)
    assert r.status == 'done', r.reason
    assert 'The tide is turning.' in (tmp_path / 'salt' / 'film.srt').read_text()
    b = _run('batch', {'phrases': 'a kite over the harbour\n' + 'storm ' * 500 + '\na clock that stops', 'profile': 'test', 'seconds': '6',
                       'out': str(tmp_path / 'batch')}, tmp_path)
    summary = json.loads((tmp_path / 'batch' / 'batch-summary.json').read_text())
    assert [x['status'] for x in summary] == ['done', 'failed', 'done']      # a bad row does not stop the batch
    assert b.status == 'failed' and '1 of 3 films failed' in b.reason and 'limit is 2,000' in summary[1]['reason']
    p = _run('publish', {'run_dir': str(tmp_path / 'salt'), 'to': str(tmp_path / 'site')}, tmp_path)
    assert p.status == 'done', p.reason
    assert (tmp_path / 'site' / 'film.mp4').read_bytes() == (tmp_path / 'salt' / 'film.mp4').read_bytes()
    assert not (tmp_path / 'site' / '.store').exists()

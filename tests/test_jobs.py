"aistudio.jobs: shipped job notebooks run by papermill with real kernels; dated immutable outputs; secrets only from the environment."
import json, os
from pathlib import Path
import pytest
from aistudio import jobs
from aistudio.core import InputError

def _nb(cells):
    return {'cells': [{'id': f'c{i}', 'cell_type': 'code', 'metadata': {'tags': ['parameters']} if i == 0 else {}, 'source': s, 'outputs': [],
                       'execution_count': None} for i, s in enumerate(cells)],
            'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}, 'nbformat': 4, 'nbformat_minor': 5}

@pytest.fixture
def folder(tmp_path):
    d = tmp_path / 'jobs'; d.mkdir()
    (d / 'uses_token.ipynb').write_text(json.dumps(_nb(['greeting = "hi"  # what to print (str)',
        'import os\ntok = os.environ["AISTUDIO_TEST_TOKEN"]\nprint(greeting, "token of", len(tok), "characters")'])))
    (d / 'fails.ipynb').write_text(json.dumps(_nb(['n = 1  # (int)', 'raise RuntimeError(f"boom {n}")'])))
    return d

def test_secret_from_the_environment_never_lands_in_outputs(folder, tmp_path, monkeypatch):
    secret = 'sk-test-5f1e2d3c4b5a'
    monkeypatch.setenv('AISTUDIO_TEST_TOKEN', secret)
    r = jobs.run('uses_token', {'greeting': 'hello'}, out=tmp_path / 'out', folder=folder)
    assert r.status == 'done', r.reason
    assert 'hello token of 20 characters' in jobs.logs(r.notebook)
    for f in (tmp_path / 'out').rglob('*'):
        if f.is_file(): assert secret not in f.read_text(), f

def test_secret_named_parameter_refused_before_a_kernel_starts(folder, tmp_path):
    with pytest.raises(InputError, match='environment variable'):
        jobs.run('uses_token', {'auth_token': 'abc'}, out=tmp_path / 'out', folder=folder)
    assert not (tmp_path / 'out').exists()

def test_failed_cell_keeps_the_notebook_and_marks_the_run(folder, tmp_path):
    r = jobs.run('fails', {'n': 7}, out=tmp_path / 'out', folder=folder)
    assert r.status == 'failed' and 'RuntimeError: boom 7' in r.reason
    assert r.notebook.is_file() and jobs.status(r.notebook)['status'] == 'failed'
    r2 = jobs.run('fails', {'n': 8}, out=tmp_path / 'out', folder=folder)
    assert r2.notebook != r.notebook and r.notebook.is_file()          # outputs are never overwritten
    assert len(list((tmp_path / 'out' / 'fails').glob('*.ipynb'))) == 2

def test_cli_exit_codes(folder, tmp_path, monkeypatch, capsys):
    from aistudio.cli import main
    monkeypatch.setattr(jobs, 'JOBS_DIR', folder)
    assert main(['jobs', 'run', 'fails', '-p', 'n', '3', '--out', str(tmp_path / 'o')]) == 1
    assert 'reason: cell' in capsys.readouterr().out
    assert main(['jobs', 'run', 'fails', '-p', 'n', 'three', '--out', str(tmp_path / 'o')]) == 2
    assert 'fails.n must be an int' in capsys.readouterr().err

@pytest.mark.slow
def test_make_film_job_through_jobs_run(tmp_path):
    r = jobs.run('make_film', {'phrase': 'a kite that will not come down', 'profile': 'test', 'seconds': '6', 'out': str(tmp_path / 'film')},
                 out=tmp_path / 'runs')
    assert r.status == 'done', r.reason
    assert (tmp_path / 'film' / 'film.mp4').is_file()
    rec = jobs.status(r.record)
    assert rec['parameters']['seconds'] == 6.0 and rec['seconds'] > 0

def test_jobs_and_their_film_runs_are_recorded_in_the_catalog(folder, tmp_path, monkeypatch):
    "With a catalog, a job run is a jobs row (status, attempts, timings, reason, output paths) linked to the film run it made."
    from aistudio.catalog import Catalog
    db = tmp_path / 'catalog.db'
    monkeypatch.delenv('AISTUDIO_CATALOG', raising=False)
    r = jobs.run('make_film', {'phrase': 'a kite that will not come down', 'profile': 'test', 'seconds': '6', 'out': str(tmp_path / 'film')},
                 out=tmp_path / 'runs', catalog=db)
    bad = jobs.run('fails', {'n': '3'}, out=tmp_path / 'runs', folder=folder, catalog=db)
    assert (r.status, bad.status) == ('done', 'failed')
    assert 'AISTUDIO_JOB_ID' not in os.environ and 'AISTUDIO_CATALOG' not in os.environ      # lent to the kernel only
    with Catalog.open(db) as cat:
        good, failed = cat.jobs()
        run = cat.runs()[0]
        assert (good.name, good.status, good.attempts, good.run_id) == ('make_film', 'done', 1, run.id)
        assert good.outputs['notebook'] == str(r.notebook) and good.finished >= good.started
        assert (failed.status, failed.run_id) == ('failed', None) and 'boom 3' in failed.reason
        assert run.status == 'done' and run.cost_estimate >= 0 and run.timings['paint'] >= 0
    assert json.loads(Path(r.record).read_text())['catalog_job'] == good.id

def test_batch_goes_on_past_a_failure_names_the_stage_and_resumes(tmp_path, capsys, monkeypatch):
    from aistudio.cli import main
    d = tmp_path / 'jobs'; d.mkdir()
    (d / 'film.ipynb').write_text(json.dumps(_nb(['fail_in = ""  # stage to fail in (str)',
        'for st in ("paint", "voice", "score"):\n    print(f"[aistudio 00:00:00] {st}: start (1 items)")\n'
        '    if st == fail_in: raise RuntimeError(f"{st} broke")\n    print(f"[aistudio 00:00:00] {st}: done in 0.01s (1 made, 0 cached)")'])))
    (tmp_path / 'm.json').write_text(json.dumps([{'fail_in': ''}, {'fail_in': 'voice'}, {'fail_in': 'nothing'}]))
    monkeypatch.setattr(jobs, 'JOBS_DIR', d)
    assert main(['jobs', 'batch', str(tmp_path / 'm.json'), '--job', 'film', '--out', str(tmp_path / 'b')]) == 1
    out = capsys.readouterr().out
    assert 'row 1: done' in out and 'row 2: failed in stage voice' in out and 'row 3: done' in out, out
    rows = jobs.run_batch(tmp_path / 'm.json', job='film', out=tmp_path / 'b', folder=d)
    assert [r.status for r in rows] == ['skipped', 'failed', 'skipped'] and rows[1].stage == 'voice'

# ---------------------------------------------------------------- outputs in S3 (a real `weed mini` server, fixtures in conftest.py)
import re, hashlib, tempfile
from conftest import ACCESS, SECRET, WRONG_SECRET, _free_port

KEY_RX = re.compile(r'^nightly/(uses_token|fails)/\d{8}-\d{6}-[0-9a-f]{6}\.(ipynb|json)$')

@pytest.mark.slow
def test_s3_out_uploads_immutable_dated_keys_without_secrets(folder, bucket, tmp_path, monkeypatch, capsys):
    from aistudio.cli import main
    from aistudio.storage import S3Storage
    token = 'sk-test-5f1e2d3c4b5a'
    monkeypatch.setenv('AISTUDIO_TEST_TOKEN', token)
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path / 'tmp')); (tmp_path / 'tmp').mkdir()
    url = f's3://{bucket}/nightly'
    a = jobs.run('uses_token', {'greeting': 'hello'}, out=url, folder=folder)
    b = jobs.run('uses_token', {'greeting': 'hello'}, out=url, folder=folder)
    f = jobs.run('fails', {'n': 7}, out=url, folder=folder)
    assert (a.status, b.status, f.status) == ('done', 'done', 'failed') and 'RuntimeError: boom 7' in f.reason
    assert len({a.notebook, b.notebook, f.notebook}) == 3 and all(str(r.notebook).startswith(url + '/') for r in (a, b, f))
    st = S3Storage(bucket)
    objs = st.list()
    assert len(objs) == 6 and all(KEY_RX.match(o.key) for o in objs), [o.key for o in objs]
    for o in objs:                                              # every object: whole, checksummed, and free of secrets
        body = st.client.get_object(Bucket=bucket, Key=o.key)['Body'].read()
        assert st.stat(o.key).sha256 == hashlib.sha256(body).hexdigest(), o.key
        for secret in (token, SECRET, ACCESS): assert secret.encode() not in body, (o.key, secret)
    rec = jobs.status(a.record)
    assert rec['status'] == 'done' and rec['parameters'] == {'greeting': 'hello'}
    assert rec['notebook_sha256'] == st.stat(str(a.notebook).removeprefix(f's3://{bucket}/')).sha256
    assert 'hello token of 20 characters' in jobs.logs(a.notebook) and 'RuntimeError: boom 7' in jobs.logs(f.record)
    assert jobs.status(f.notebook)['status'] == 'failed'
    assert list((tmp_path / 'tmp').iterdir()) == []             # the local copies are gone once uploaded
    monkeypatch.setattr(jobs, 'JOBS_DIR', folder); capsys.readouterr()
    assert main(['jobs', 'run', 'fails', '-p', 'n', '3', '--out', url]) == 1
    out = capsys.readouterr().out
    rec_url = re.search(r'record: (\S+)', out)[1]
    assert rec_url.startswith(url + '/fails/') and main(['jobs', 'status', rec_url]) == 0
    assert '"status": "failed"' in capsys.readouterr().out and len(st.list()) == 8

@pytest.mark.parametrize('fault', ['missing bucket', 'wrong secret', 'unreachable endpoint'])
def test_s3_out_that_cannot_work_fails_before_the_kernel_starts(folder, bucket, monkeypatch, fault, capsys):
    import papermill, time
    from aistudio.cli import main
    def no_kernel(*a, **k): raise AssertionError('a kernel started before the S3 target was checked')
    monkeypatch.setattr(papermill, 'execute_notebook', no_kernel)
    target, message = f's3://{bucket}/x', ''
    if fault == 'missing bucket': target, message = 's3://no-such-bucket-here/x', 'does not exist'
    if fault == 'wrong secret': monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', WRONG_SECRET); message = 'refused the credentials'
    if fault == 'unreachable endpoint': monkeypatch.setenv('AWS_ENDPOINT_URL', f'http://127.0.0.1:{_free_port()}'); message = 'cannot reach'
    t0 = time.perf_counter()
    with pytest.raises(Exception, match=message) as e: jobs.run('uses_token', {}, out=target, folder=folder)
    took = time.perf_counter() - t0
    with capsys.disabled(): print(f'\n{fault}: clear error in {took:.2f} s: {e.value}')
    assert took < 30 and WRONG_SECRET not in str(e.value) and SECRET not in str(e.value)
    monkeypatch.setattr(jobs, 'JOBS_DIR', folder)
    assert main(['jobs', 'run', 'uses_token', '--out', target]) == 2
    err = capsys.readouterr().err
    assert err.startswith('aistudio: error: ') and message in err and 'Traceback' not in err

@pytest.mark.slow
def test_batch_with_s3_out_keeps_state_local_and_names_the_failed_stage(bucket, tmp_path):
    from aistudio.storage import S3Storage
    d = tmp_path / 'jobs'; d.mkdir()
    (d / 'film.ipynb').write_text(json.dumps(_nb(['fail_in = ""  # stage to fail in (str)',
        'for st in ("paint", "voice"):\n    print(f"[aistudio 00:00:00] {st}: start (1 items)")\n'
        '    if st == fail_in: raise RuntimeError(f"{st} broke")\n    print(f"[aistudio 00:00:00] {st}: done in 0.01s (1 made, 0 cached)")'])))
    url = f's3://{bucket}/batches/b1'
    rows = jobs.run_batch([{'fail_in': ''}, {'fail_in': 'voice'}], job='film', out=url, folder=d, work=tmp_path / 'w')
    assert [r.status for r in rows] == ['done', 'failed'] and rows[1].stage == 'voice', rows
    assert all(r.notebook.startswith(url + '/runs/film/') for r in rows)
    assert json.loads((tmp_path / 'w' / 'batch.json').read_text())          # the state stays local
    again = jobs.run_batch([{'fail_in': ''}, {'fail_in': 'voice'}], job='film', out=url, folder=d, work=tmp_path / 'w')
    assert [r.status for r in again] == ['skipped', 'failed']
    assert len(S3Storage(bucket, 'batches/b1').list()) == 6                   # 3 runs, notebook + record each

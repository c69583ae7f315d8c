"Fault drills for production jobs: a make_film job killed with SIGKILL mid-stage then resumed, and a disk that fills up during a job."
import errno, hashlib, json, os, re, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import ROOT
from aistudio import jobs

PHRASE = 'a kite that will not come down'
TEMP = re.compile(r'\.part|^\.tmp|^tmp')          # atomic_path's `.NAME.xxxx.part.ext`, the job runner's `.STAMP.part.ipynb`, mkstemp's `tmpXXXX`

def _sha(p): return hashlib.sha256(Path(p).read_bytes()).hexdigest()

def _temp_files(*roots) -> list[str]:
    "Temporary files under `roots`: anything named like a temp/part file, and anything in a store's tmp folder."
    out = []
    for r in roots:
        for f in Path(r).rglob('*'):
            if f.is_file() and (TEMP.search(f.name) or f.parent.name == 'tmp' and f.parent.parent.name == '.store'): out.append(str(f))
    return sorted(out)

def _kill_tree(proc: subprocess.Popen) -> list[int]:
    "SIGKILL a process and every descendant (the papermill runner and its kernel), like a machine losing power; wait until all are gone."
    import psutil
    procs = [psutil.Process(proc.pid)] + psutil.Process(proc.pid).children(recursive=True)
    for p in procs:
        try: p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess: pass
    proc.wait()                                     # reap the runner here, so its return code says SIGKILL
    gone, alive = psutil.wait_procs(procs[1:], timeout=10)
    assert not alive, f'still running after SIGKILL: {alive}'
    return [p.pid for p in procs]

# ---------------------------------------------------------------- drill 1: kill -9 mid-stage, then resume

@pytest.fixture(scope='module')
def drill(tmp_path_factory):
    "Run the shipped make_film job in a subprocess, SIGKILL it once stage records exist, run it again to the same folder, and once clean."
    d = tmp_path_factory.mktemp('killdrill')
    film, runs = d / 'film', d / 'runs'
    params = {'phrase': PHRASE, 'profile': 'test', 'seconds': 30.0, 'out': str(film)}
    code = (f"import json; from aistudio import jobs; "
            f"jobs.run('make_film', json.loads({json.dumps(params)!r}), out={str(runs)!r}, cwd={str(ROOT)!r})")
    p = subprocess.Popen([sys.executable, '-c', code], start_new_session=True, env=dict(os.environ, OMP_NUM_THREADS='1'),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache, t0 = film / '.store' / 'cache', time.time()
    try:
        while True:
            recs = sorted(f.stem for f in cache.rglob('*.json')) if cache.is_dir() else []
            busy = any((film / '.store' / 'tmp').glob('*')) if cache.is_dir() else False   # a stage is writing its output
            if len(recs) >= 3 and busy: break
            assert p.poll() is None, 'the first run ended before any stage records appeared'
            assert time.time() - t0 < 300, 'no stage records after 300 s'
            time.sleep(0.02)
        killed = _kill_tree(p)
    finally:
        if p.poll() is None: p.kill()
        p.wait()
    at_kill = {'records': sorted(f.stem for f in cache.rglob('*.json')), 'film': (film / 'film.mp4').exists(),
               'report': (film / 'report.json').exists(), 'temp': _temp_files(film, runs), 'seconds': time.time() - t0,
               'killed': killed, 'returncode': p.returncode, 'records_of_the_killed_run': sorted(runs.rglob('*.json')),
               'status': [json.loads(f.read_text()).get('status') for f in sorted(runs.rglob('*.json'))]}
    resumed = jobs.run('make_film', params, out=runs, cwd=ROOT)
    clean = jobs.run('make_film', {**params, 'out': str(d / 'clean')}, out=d / 'clean-runs', cwd=ROOT)
    print(f"killed after {at_kill['seconds']:.2f} s with {len(at_kill['records'])} stage records; resumed in {resumed.seconds:.1f} s, "
          f"clean run {clean.seconds:.1f} s")
    return dict(d=d, film=film, runs=runs, at_kill=at_kill, resumed=resumed, clean=clean)

@pytest.mark.slow
def test_kill_happened_mid_run(drill):
    k = drill['at_kill']
    assert k['returncode'] == -signal.SIGKILL and len(k['killed']) >= 2, k        # the runner and its kernel
    assert len(k['records']) >= 3 and not k['film'] and not k['report'], k         # some stages done, the film not
    assert len(k['records_of_the_killed_run']) == 1 and k['status'] == ['running'], k   # as the killed runner left it...
    assert any('/.store/tmp/' in f for f in k['temp']), k['temp']                   # killed while a stage was writing

@pytest.mark.slow
def test_resumed_run_completes_from_the_cache(drill):
    r, k = drill['resumed'], drill['at_kill']
    assert r.status == 'done', r.reason
    report = json.loads((drill['film'] / 'report.json').read_text())
    hits = report['cache']['hits']
    print('cache at resume:', report['cache'])
    assert sum(hits.values()) >= len(k['records']) >= 3, report['cache']         # everything the first run finished came from the cache
    (old,) = k['records_of_the_killed_run']
    st = jobs.status(old)                                                         # ...and the next run marked it failed
    assert st['status'] == 'failed' and st['reason'].startswith('interrupted'), st

@pytest.mark.slow
def test_resumed_film_is_the_clean_film(drill):
    clean = json.loads((drill['d'] / 'clean' / 'report.json').read_text())
    assert drill['clean'].status == 'done' and sum(clean['cache']['hits'].values()) == 0, clean['cache']   # really made from nothing
    a, b = _sha(drill['film'] / 'film.mp4'), _sha(drill['d'] / 'clean' / 'film.mp4')
    print('film.mp4 sha256 resumed', a[:16], 'clean', b[:16])
    assert a == b

@pytest.mark.slow
def test_no_job_temp_files_after_resume(drill):
    left = [f for f in _temp_files(drill['film'], drill['runs']) if '/.store/tmp/' not in f]
    assert left == [], left
    for f in drill['runs'].rglob('*'):
        if f.suffix in ('.json', '.ipynb'): json.loads(f.read_text())             # every record and notebook is whole

@pytest.mark.slow
def test_no_store_temp_files_after_resume(drill):
    left = _temp_files(drill['film'] / '.store')
    print('left in .store by the killed run:', left, 'at kill:', drill['at_kill']['temp'])
    assert left == [], left

# ---------------------------------------------------------------- drill 2: a full disk

@pytest.fixture
def small_disk(tmp_path):
    "A 12 MiB tmpfs mounted for this test (needs root); unmounted afterwards."
    if os.geteuid() != 0: pytest.skip('the full-disk drill mounts a 12 MiB tmpfs, which needs root')
    d = tmp_path / 'small'; d.mkdir()
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', str(d)], capture_output=True, text=True)
    if r.returncode: pytest.skip(f'cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}')
    try: yield d
    finally:
        if subprocess.run(['umount', str(d)], capture_output=True).returncode: subprocess.run(['umount', '-l', str(d)])

def _nb(cells):
    return {'cells': [{'id': f'c{i}', 'cell_type': 'code', 'metadata': {'tags': ['parameters']} if i == 0 else {}, 'source': s, 'outputs': [],
                       'execution_count': None} for i, s in enumerate(cells)],
            'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}, 'nbformat': 4, 'nbformat_minor': 5}

def _check_failed_cleanly(r, disk: Path):
    assert r.status == 'failed'
    assert 'the disk is full' in r.reason and str(disk) in r.reason and 'MiB free' in r.reason, r.reason
    assert 'Traceback' not in r.reason and len(r.reason) < 1500, r.reason
    rec = json.loads(Path(r.record).read_text())                                   # the record parses...
    assert rec['status'] == 'failed' and rec['reason'] == r.reason                 # ...and says why
    if rec['notebook']: json.loads(Path(r.notebook).read_text())                   # a notebook kept is whole
    else: assert not Path(r.notebook).exists()
    assert _temp_files(disk) == [], _temp_files(disk)

def test_job_that_fills_the_disk_fails_cleanly(small_disk, tmp_path):
    d = tmp_path / 'jobs'; d.mkdir()
    (d / 'hog.ipynb').write_text(json.dumps(_nb(['out = ""  # folder to fill (str)',
        'import os\nwith open(os.path.join(out, "ballast.bin"), "wb") as f:\n    while True:\n        f.write(b"x" * 65536); f.flush()'])))
    (small_disk / 'data').mkdir()
    r = jobs.run('hog', {'out': str(small_disk / 'data')}, out=small_disk / 'runs', folder=d, cwd=tmp_path)
    print('reason:', r.reason, '| free after:', shutil.disk_usage(small_disk).free)
    _check_failed_cleanly(r, small_disk)
    assert re.search(r'No space left on device|disk is full', jobs.status(r.record)['reason'])

def test_record_is_marked_failed_in_place_on_a_full_disk(small_disk):
    rec_path = small_disk / 'r.json'
    rec = {'job': 'x', 'status': 'running', 'notebook': 'r.ipynb'}
    jobs._write_record(rec_path, rec, pad=len(json.dumps(rec, indent=1)) + 2048)
    padded = rec_path.stat().st_size
    with pytest.raises(OSError) as e:                                              # fill every last block
        with open(small_disk / 'ballast.bin', 'wb', buffering=0) as f:
            while True: f.write(b'x' * 4096)
    assert e.value.errno == errno.ENOSPC
    from aistudio.core import DiskFullError, atomic_write
    with pytest.raises(DiskFullError, match='the disk is full.*MiB free'): atomic_write(small_disk / 'other.json', 'x' * 10000)
    jobs._write_record(rec_path, {**rec, 'status': 'failed', 'reason': 'the disk is full'})
    test = json.loads(rec_path.read_text())
    assert test['status'] == 'failed' and test['reason'] == 'the disk is full'
    assert rec_path.stat().st_size == padded                                       # overwritten in place: no room for a new file
    assert sorted(p.name for p in small_disk.iterdir()) == ['ballast.bin', 'r.json']   # no temporary file left

@pytest.mark.slow
def test_make_film_job_on_a_full_disk_fails_cleanly(small_disk):
    from aistudio.media import probe
    film, runs = small_disk / 'film', small_disk / 'runs'
    r = jobs.run('make_film', {'phrase': PHRASE, 'profile': 'test', 'seconds': 30.0, 'out': str(film)}, out=runs, cwd=ROOT)
    print('reason:', r.reason)
    _check_failed_cleanly(r, small_disk)
    if (film / 'film.mp4').exists(): assert probe(film / 'film.mp4')['duration'] > 25      # a film left is whole, never truncated
    if (film / 'report.json').exists(): json.loads((film / 'report.json').read_text())

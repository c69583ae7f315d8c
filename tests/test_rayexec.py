"RayExecutor on a real local Ray cluster (in a private network namespace), plus its failure modes."
import hashlib, json, os, shutil, socket, subprocess, sys, textwrap, time
from pathlib import Path
import pytest
from aistudio.core import BackendError, InputError

ray = pytest.importorskip('ray', reason='the ray extra is not installed (pip install aistudio[ray])')
from aistudio.rayexec import RayExecutor, check_address, dumps_for_workers

HELPER = '''
import os, time
from pathlib import Path
from aistudio.registry import register_backend, EmbeddedBackend

class CountingPainter(EmbeddedBackend):
    name, stage = 'counting', 'painter'
    def __init__(self):
        with open(os.environ['COUNT_FILE'], 'a') as f: f.write(f"{os.getpid()}\\n")
register_backend('painter', 'counting', CountingPainter)

def use_made(s, x):       # the backend is looked up in the worker process
    from aistudio.pipeline import backend
    b = backend('painter', s)
    return os.getpid(), id(b), x

def use_captured(b, x):   # a backend captured in the driver travels as the way to make it
    return os.getpid(), id(b), type(b).__name__, x

def slow(d, x):
    Path(d, f"{x}.{os.getpid()}.pid").write_text('')
    time.sleep(1.5)
    return x * 10, os.getpid()
'''

SCRIPT = r'''
import json, os, sys, threading, time, functools, signal, hashlib
from pathlib import Path
out, tmp = Path(sys.argv[1]), Path(sys.argv[2])
R = {}
import ray
t0 = time.perf_counter()
ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, _temp_dir=str(tmp / 'ray'), log_to_driver=False)
R['startup_s'] = time.perf_counter() - t0
from aistudio.rayexec import RayExecutor
import helper

# 1. order and done
ex = RayExecutor(workers=2)
done = []
def sq(x):
    import random; time.sleep(random.random() * 0.05); return x * x, os.getpid()
res = ex.map(sq, range(12), stage='voice', done=done.append)
R['order'] = [r[0] for r in res]; R['order_pids'] = sorted({r[1] for r in res}); R['done'] = sorted(r[0] for r in done)
R['driver_pid'] = os.getpid()
t0 = time.perf_counter(); ex.map(lambda x: x, range(400), stage='voice'); R['per_task_ms'] = (time.perf_counter() - t0) / 400 * 1000
R['one_item_pid'] = ex.map(lambda x: os.getpid(), [0])[0]
ex.close()

# 2. GPU stages get GPUs, CPU stages none
with RayExecutor(workers=2, num_gpus=1) as ex:
    R['paint_gpus'] = ex.map(lambda x: ray.get_gpu_ids(), range(4), stage='paint')
    R['voice_gpus'] = ex.map(lambda x: ray.get_gpu_ids(), range(4), stage='voice')
    R['paint_again'] = ex.map(lambda x: ray.get_gpu_ids(), range(4), stage='animate')

# 3. a backend is made once per worker process, reused across maps and stages
from aistudio.settings import load_settings
from aistudio.pipeline import backend
s = load_settings('dev', painter='counting')
with RayExecutor(workers=2) as ex:
    a = ex.map(functools.partial(helper.use_made, s), range(8), stage='paint')
    b = ex.map(functools.partial(helper.use_made, s), range(8), stage='animate')
    mine = backend('painter', s)
    c = ex.map(functools.partial(helper.use_captured, mine), range(8), stage='compose')
    R['worker_pids'] = sorted(ex.pids('paint'))
R['made_pids'] = Path(os.environ['COUNT_FILE']).read_text().split()
R['use_pids'] = sorted({r[0] for r in a + b + c}); R['captured_types'] = sorted({r[2] for r in c})
R['ids_per_pid'] = {str(p): len({r[1] for r in a + b + c if r[0] == p}) for p in R['use_pids']}

# 4. SIGKILL a worker mid-task: the map still returns the whole result
d = tmp / 'pids'; d.mkdir()
with RayExecutor(workers=2, retries=3) as ex:
    box = {}
    th = threading.Thread(target=lambda: box.setdefault('res', ex.map(functools.partial(helper.slow, str(d)), range(4), stage='voice')))
    th.start()
    t_end = time.time() + 30
    while not list(d.glob('*.pid')) and time.time() < t_end: time.sleep(0.05)
    victim = int(sorted(d.glob('*.pid'))[0].name.split('.')[1])
    os.kill(victim, signal.SIGKILL); R['killed'] = victim
    th.join(120)
    R['kill_result'] = [r[0] for r in box.get('res', [])]
    R['kill_pids_after'] = sorted({r[1] for r in box.get('res', [])})

# 5. a whole film: ray vs thread
from aistudio.pipeline import make_film
def film(executor, where):
    t0 = time.perf_counter()
    r = make_film('a lighthouse keeper befriends a storm', profile='dev', seconds=8, out=str(tmp / where), progress='none',
                  executor=executor, workers=2)
    return {'sha': hashlib.sha256(r.video.read_bytes()).hexdigest(), 'misses': r.report['cache']['misses'],
            'hits': r.report['cache']['hits'], 'wall': time.perf_counter() - t0}
shipped = {}
_orig_map = RayExecutor.map
def _counting_map(self, fn, items, *, stage='', done=None):
    items = list(items)
    if len(items) > 1: shipped[stage] = shipped.get(stage, 0) + len(items)
    return _orig_map(self, fn, items, stage=stage, done=done)
RayExecutor.map = _counting_map
R['film_thread'] = film('thread', 'f_thread')
R['film_ray'] = film('ray', 'f_ray')
R['shipped'] = dict(shipped)
R['film_ray2'] = film('ray', 'f_ray')
ray.shutdown()

# 6. no cluster running: the executor starts a local one in a temporary folder and removes both on close
ex = RayExecutor(workers=2)
R['own_before'] = ray.is_initialized()
R['own_result'] = ex.map(lambda x: x + 1, range(3))
R['own_during'] = ray.is_initialized(); own_tmp = ex._tmp
R['own_cpus'] = ray.cluster_resources().get('CPU')
ex.close()
R['own_after'] = ray.is_initialized(); R['own_tmp_left'] = bool(own_tmp) and Path(own_tmp).exists()
out.write_text(json.dumps(R))
'''


def _netns_ok():
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('ip'): return False
    return subprocess.run(['unshare', '-n', 'sh', '-c', 'ip link set lo up'], capture_output=True).returncode == 0


@pytest.fixture(scope='module')
def ray_results(tmp_path_factory):
    if not _netns_ok():
        pytest.skip('needs root and `unshare -n` (Ray binds the host address otherwise; run as root on Linux)')
    tmp = tmp_path_factory.mktemp('r')
    (tmp / 'helper.py').write_text(HELPER); (tmp / 'script.py').write_text(SCRIPT); (tmp / 'home').mkdir(); (tmp / 'a-long-temporary-folder').mkdir()
    env = {**os.environ, 'HOME': str(tmp / 'home'), 'RAY_USAGE_STATS_ENABLED': '0', 'OMP_NUM_THREADS': '1',
           'PYTHONPATH': os.pathsep.join([str(tmp), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep),
           'COUNT_FILE': str(tmp / 'made.txt'), 'TMPDIR': str(tmp / 'a-long-temporary-folder')}
    env.pop('RAY_ADDRESS', None)
    t0 = time.perf_counter()
    p = subprocess.run(['unshare', '-n', 'sh', '-c', f'ip link set lo up && exec "{sys.executable}" script.py out.json "{tmp}"'],
                       cwd=tmp, env=env, capture_output=True, text=True, timeout=170)
    assert p.returncode == 0 and (tmp / 'out.json').exists(), p.stderr[-4000:]
    r = json.loads((tmp / 'out.json').read_text())
    print(json.dumps({k: v for k, v in r.items() if k not in ('order', 'done')}))
    print(f"\nray start-up {r['startup_s']:.1f}s, per-task overhead {r['per_task_ms']:.2f} ms, whole script {time.perf_counter() - t0:.0f}s; "
          f"film wall: thread {r['film_thread']['wall']:.1f}s, ray {r['film_ray']['wall']:.1f}s, ray cached {r['film_ray2']['wall']:.1f}s")
    return r


@pytest.mark.slow
def test_order_and_done(ray_results):
    r = ray_results
    assert r['order'] == [x * x for x in range(12)]
    assert r['done'] == sorted(x * x for x in range(12))      # once per item
    assert len(r['order_pids']) == 2 and r['driver_pid'] not in r['order_pids']   # two workers, not the driver
    assert r['one_item_pid'] == r['driver_pid']                # a one-item map stays in the driver


@pytest.mark.slow
def test_starts_and_stops_its_own_cluster(ray_results):
    r = ray_results
    assert (r['own_before'], r['own_during'], r['own_after']) == (False, True, False)
    assert r['own_result'] == [1, 2, 3] and r['own_cpus'] == 2.0 and r['own_tmp_left'] is False


@pytest.mark.slow
def test_gpu_stages(ray_results):
    r = ray_results
    assert all(len(g) == 1 for g in r['paint_gpus'] + r['paint_again']), r['paint_gpus']
    assert {g[0] for g in r['paint_gpus']} <= {0, 1}
    assert len({g[0] for g in r['paint_gpus']}) == 2           # each of the two GPU workers holds its own GPU
    assert all(g == [] for g in r['voice_gpus']), r['voice_gpus']


@pytest.mark.slow
def test_backend_made_once_per_worker(ray_results):
    r = ray_results
    made = [int(p) for p in r['made_pids']]
    assert sorted(set(made)) == sorted(made), made               # never twice in one process
    assert set(r['use_pids']) == set(r['worker_pids']) and len(r['use_pids']) == 2
    assert set(r['use_pids']) <= set(made)
    assert all(n == 1 for n in r['ids_per_pid'].values())       # one instance per worker across 3 maps and stages
    assert r['captured_types'] == ['CountingPainter']


@pytest.mark.slow
def test_sigkill_is_retried(ray_results):
    r = ray_results
    assert r['kill_result'] == [0, 10, 20, 30]
    assert r['killed'] not in r['kill_pids_after']


@pytest.mark.slow
def test_film_ray_matches_thread(ray_results):
    t, a, b = ray_results['film_thread'], ray_results['film_ray'], ray_results['film_ray2']
    assert a['sha'] == t['sha']
    assert a['misses'] == t['misses'] and sum(t['misses'].values()) > 0
    assert sum(b['misses'].values()) == 0 and sum(b['hits'].values()) >= sum(t['misses'].values())
    assert b['sha'] == t['sha']
    shipped = ray_results['shipped']                           # the ray run really sent per-shot work to the workers
    assert shipped.get('paint', 0) >= 2 and shipped.get('compose', 0) >= 2, shipped


def _closed_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close(); return port


@pytest.mark.parametrize('form', ['127.0.0.1:{p}', 'ray://127.0.0.1:{p}'])
def test_dead_address_fails_fast(form, monkeypatch):
    addr = form.format(p=_closed_port())
    t0 = time.perf_counter()
    with pytest.raises(BackendError, match='does not answer') as e: RayExecutor(addr, workers=2)
    assert time.perf_counter() - t0 < 10 and addr in str(e.value) and 'RAY_ADDRESS' in str(e.value)
    monkeypatch.setenv('RAY_ADDRESS', addr)                   # the environment is read the same way
    from aistudio.registry import get_executor
    with pytest.raises(BackendError, match='does not answer'): get_executor('ray', 2)
    assert not ray.is_initialized()


def test_settings_and_repr(monkeypatch):
    monkeypatch.delenv('RAY_ADDRESS', raising=False)
    from aistudio.settings import load_settings
    s = load_settings('dev', ray_num_gpus=0.5, ray_gpu_stages='paint', ray_retries=5)
    ex = RayExecutor.from_settings(s, workers=3)
    assert (ex.workers, ex.shape('paint'), ex.shape('animate'), ex.retries) == (3, (1.0, 0.5), (1.0, 0.0), 5)
    assert 'local' in repr(ex) and not ray.is_initialized()
    with pytest.raises(Exception, match='between'): load_settings('dev', ray_num_gpus=-1)
    with pytest.raises(InputError, match='no user'): RayExecutor('ray://u:hunter2@127.0.0.1:1')


def test_missing_ray_names_the_extra():
    code = ("import sys; sys.modules['ray'] = None; sys.modules['ray.cloudpickle'] = None\n"
            "from aistudio.core import MissingExtraError\nfrom aistudio.registry import get_executor\n"
            "try: get_executor('ray', 2)\nexcept MissingExtraError as e: print('MISSING', e)\n")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert 'MISSING' in p.stdout and "aistudio[ray]" in p.stdout, p.stdout + p.stderr

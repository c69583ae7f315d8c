import os, sys, subprocess
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

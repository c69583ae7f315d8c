"The notebooks are the source: they must be clean, exported, and their lessons must pass."
import hashlib, os, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT

BIN = Path(sys.executable).parent
NOTEBOOKS = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb'))

def _snapshot():
    files = [*(ROOT / 'nbs').rglob('*.ipynb'), *(ROOT / 'aistudio').rglob('*.py'), ROOT / 'README.md']
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}

def test_nbdev_clean_and_export_change_nothing():
    before = _snapshot()
    for cmd in ('nbdev-clean', 'nbdev-export'):
        r = subprocess.run([str(BIN / cmd)], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, 'tools/make_readme.py'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    after = _snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"nbdev-clean/nbdev-export/tools/make_readme.py changed {changed}: run them and commit the result"

@pytest.mark.parametrize('nb', NOTEBOOKS)
def test_notebook_lessons(nb):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    r = subprocess.run([str(BIN / 'nbdev-test'), f'nbs/{nb}'], cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]

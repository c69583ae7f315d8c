import json, subprocess, sys
from conftest import ROOT

def test_core_imports_no_heavy_ml():
    code = ("import sys, aistudio, aistudio.pipeline, aistudio.cli, aistudio.settings, aistudio.film, aistudio.store, aistudio.progress;"
            "print([m for m in ('torch', 'diffusers', 'transformers', 'librosa', 'moviepy') if m in sys.modules])")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]'

def test_readme_and_ci_agree():
    "CI must run exactly the README's test command."
    readme = (ROOT / 'README.md').read_text()
    cmds = [l.strip() for l in readme.splitlines() if l.strip().startswith('python3 -m venv')]
    assert len(cmds) == 2, cmds
    assert 'aistudio make' in cmds[0] and 'pytest' in cmds[1]
    assert cmds[1] in (ROOT / '.ci' / 'run').read_text()

def test_packaged_files_are_in_the_wheel_config():
    import tomllib
    cfg = tomllib.loads((ROOT / 'pyproject.toml').read_text())
    assert 'settings.ini' in cfg['tool']['setuptools']['package-data']['aistudio']
    assert 'tags' in cfg['tool']['nbdev']['allowed_cell_metadata_keys']
    assert not any(d.startswith('torch') for d in cfg['project']['dependencies'])

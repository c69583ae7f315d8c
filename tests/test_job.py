"The production notebook runs under papermill with a real kernel and documents its parameters."
import json, sys
from pathlib import Path
import pytest
from conftest import ROOT

NB = ROOT / 'aistudio' / 'notebooks' / 'make_film.ipynb'

def test_parameters_are_documented():
    import papermill as pm
    params = pm.inspect_notebook(str(NB))
    assert set(params) == {'phrase', 'script', 'profile', 'seconds', 'aspect', 'seed', 'out'}
    assert all(p['help'] for p in params.values()), params

@pytest.mark.slow
def test_papermill_job_makes_a_film(tmp_path):
    import papermill as pm
    out_nb = tmp_path / 'run.ipynb'
    pm.execute_notebook(str(NB), str(out_nb), kernel_name='python3', cwd=str(ROOT), progress_bar=False,
                        parameters={'phrase': 'a kite that will not come down', 'profile': 'test', 'seconds': 6.0, 'out': str(tmp_path / 'film')})
    assert (tmp_path / 'film' / 'report.json').is_file() and (tmp_path / 'film' / 'film.mp4').is_file()
    text = out_nb.read_text()
    assert 'aistudio' in text and 'voice: done' in text      # progress came out as log lines

#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb (markdown cells as they are; code cells as python blocks).
nbdev's own `nbdev-readme` needs Quarto, which cannot be installed from a package registry here.
usage: python tools/make_readme.py [--check]"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def render() -> str:
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())
    parts = ['<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->']
    for c in nb['cells']:
        src = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts.append(src.strip())
        elif src.strip() and not src.lstrip().startswith('#| hide'): parts.append('```python\n' + src.strip() + '\n```')
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, dest = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if not dest.exists() or dest.read_text() != text: sys.exit('README.md is out of date: run python tools/make_readme.py')
    else: dest.write_text(text)

#!/usr/bin/env python
"""Convert between percent-format .py scratch files and .ipynb notebooks.
usage: nbconv.py to-nb SRC.py DST.ipynb | to-py SRC.ipynb DST.py
Cells start with '# %%' (code) or '# %% [markdown]' (markdown; lines keep their '# ' prefix stripped)."""
import hashlib, json, sys
from pathlib import Path

def to_nb(src, dst):
    cells, cur, kind = [], [], None
    def flush():
        if kind is None: return
        lines = list(cur)
        while lines and not lines[-1].strip(): lines.pop()
        while lines and not lines[0].strip(): lines.pop(0)
        if kind == 'markdown': lines = [l[2:] if l.startswith('# ') else l[1:] if l.startswith('#') else l for l in lines]
        text = '\n'.join(lines)
        c = dict(cell_type=kind, id='', metadata={}, source=text)
        if kind == 'code': c.update(execution_count=None, outputs=[])
        if kind == 'code' and text.startswith('#| parameters'):
            c['metadata'] = {'tags': ['parameters']}; c['source'] = text.split('\n',1)[1] if '\n' in text else ''
        c['id'] = hashlib.sha1(f'{Path(dst).name}:{len(cells)}:{text}'.encode()).hexdigest()[:8]
        cells.append(c)
    for line in Path(src).read_text().split('\n'):
        if line.startswith('# %%'):
            flush(); cur = []; kind = 'markdown' if '[markdown]' in line else 'code'; continue
        if kind is None: kind = 'code'
        cur.append(line)
    flush()
    nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')), nbformat=4, nbformat_minor=5)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

def to_py(src, dst):
    nb = json.loads(Path(src).read_text()); out = []
    for c in nb['cells']:
        s = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            out.append('# %% [markdown]'); out += ['# ' + l if l else '#' for l in s.split('\n')]
        else:
            out.append('# %%')
            if 'parameters' in c.get('metadata', {}).get('tags', []): out.append('#| parameters')
            out += s.split('\n')
        out.append('')
    Path(dst).write_text('\n'.join(out))

if __name__ == '__main__':
    {'to-nb': to_nb, 'to-py': to_py}[sys.argv[1]](sys.argv[2], sys.argv[3])

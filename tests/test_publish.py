"Edge cases and faults of the static publisher that the notebook does not show."
import base64, copy, hashlib, html, os, re, stat
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit
import pytest
from PIL import Image
from aistudio.core import InputError
from aistudio.film import Voice, sample_film
from aistudio import publish
from aistudio.publish import StaticPublisher, PublishedFile, place_file, render_page

@pytest.fixture
def src(tmp_path):
    d = tmp_path / 'src'; d.mkdir()
    Image.new('RGB', (32, 18), (10, 20, 30)).save(d / 'poster.png')
    Image.new('RGB', (64, 36), (90, 20, 30)).save(d / 'sheet.jpeg')
    (d / 'film.mp4').write_bytes(b'\x00' * 300)
    (d / 'film.vtt').write_text('WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhi\n')
    (d / 'film.srt').write_text('1\n00:00:00,000 --> 00:00:01,000\nhi\n')
    (d / 'film.json').write_text('{}')
    (d / 'screenplay.fountain').write_text('Title: x\n')
    (d / 'notes.txt').write_text('n')
    return d

def publish_to(out, src, **kw):
    args = dict(out_dir=out, video=src / 'film.mp4', poster=src / 'poster.png', vtt=src / 'film.vtt', srt=src / 'film.srt',
                downloads={'json': src / 'film.json', 'screenplay': src / 'screenplay.fountain'})
    return StaticPublisher()(sample_film(), **{**args, **kw})

class Tags(HTMLParser):
    def __init__(self, text): super().__init__(); self.tags = []; self.feed(text)
    def handle_starttag(self, tag, attrs): self.tags.append((tag, dict(attrs)))

def test_registry_and_conventions():
    from aistudio.registry import BACKENDS
    assert BACKENDS['publisher'].get('static') is StaticPublisher
    p = StaticPublisher.from_pretrained(None, dtype='float16', device='cpu')
    assert (p.name, p.version, p.params()) == ('static', '1', {})

def test_files_are_hard_linked_and_sized(tmp_path, src):
    res = publish_to(tmp_path / 'site', src)
    assert os.path.samefile(res.files['video'], src / 'film.mp4')
    assert set(res.files) == {'video', 'poster', 'vtt', 'srt', 'json', 'fountain'}
    page = res.index.read_text()
    assert '300 B' in page and 'Film data (JSON)' in page and 'Screenplay (Fountain)' in page

def test_copy_when_hard_link_fails(tmp_path, src, monkeypatch):
    def no_link(a, b): raise OSError(18, 'Invalid cross-device link')
    monkeypatch.setattr(publish.os, 'link', no_link)
    res = publish_to(tmp_path / 'site', src)
    assert not os.path.samefile(res.files['video'], src / 'film.mp4')
    assert res.files['video'].read_bytes() == (src / 'film.mp4').read_bytes()
    assert not list((tmp_path / 'site').glob('.*'))

def test_place_file_same_file_and_read_only_source(tmp_path, src):
    ro = tmp_path / 'ro.bin'; ro.write_bytes(b'abc'); ro.chmod(stat.S_IRUSR)
    dest = place_file(ro, tmp_path / 'site' / 'x.bin')
    assert dest.read_bytes() == b'abc'
    assert place_file(dest, dest) == dest and dest.read_bytes() == b'abc'

def test_failure_midway_leaves_no_page(tmp_path, src, monkeypatch):
    out = tmp_path / 'site'
    publish_to(out, src)
    assert (out / 'index.html').is_file()
    real, calls = publish.place_file, []
    def flaky(a, b):
        calls.append(b)
        if len(calls) == 3: raise OSError('disk full')
        return real(a, b)
    monkeypatch.setattr(publish, 'place_file', flaky)
    with pytest.raises(OSError, match='disk full'): publish_to(out, src)
    assert not (out / 'index.html').exists(), 'a stale page must not outlive a failed re-publish'
    assert not list(out.glob('*.part*')) and not list(out.glob('.*'))

def test_missing_download_is_named_and_nothing_written(tmp_path, src):
    out = tmp_path / 'site'
    with pytest.raises(InputError, match=r"downloads\['storyboard'\] file not found"):
        publish_to(out, src, downloads={'storyboard': src / 'nope.png'})
    assert not out.exists()
    with pytest.raises(InputError, match='PNG, JPEG or WebP'):
        publish_to(out, src, poster=src / 'notes.txt')

def test_download_names_never_come_from_user_text(tmp_path, src):
    evil = {'<script>alert(1)</script>/../../x': src / 'notes.txt', 'storyboard': src / 'sheet.jpeg',
            'video': src / 'film.mp4', 'subtitles': src / 'film.srt'}
    res = publish_to(tmp_path / 'site', src, downloads=evil)
    names = sorted(p.name for p in (tmp_path / 'site').iterdir())
    assert names == ['captions.vtt', 'download-1.txt', 'film.mp4', 'index.html', 'poster.png', 'storyboard.jpg', 'subtitles.srt'], names
    page = res.index.read_text()
    assert '<script>alert' not in page and '&lt;script&gt;alert(1)&lt;/script&gt;/../../x' in page
    assert page.count('href="film.mp4"') == 2  # the download button and the no-video fallback link, once each

def test_share_url_makes_absolute_open_graph_and_encoded_links(tmp_path, src):
    url = 'https://example.org/films/the keeper/?a=1&b=<x>'
    with pytest.raises(InputError, match='share_url'): publish_to(tmp_path / 'site', src, share_url=url)
    url = 'https://example.org/films/keeper/?a=1&b=2'
    res = publish_to(tmp_path / 'site', src, share_url=url)
    tags = Tags(res.index.read_text()).tags
    og = {a['property']: a['content'] for t, a in tags if t == 'meta' and 'property' in a}
    assert og['og:video'] == 'https://example.org/films/keeper/film.mp4' and og['og:url'] == url
    links = [a['href'] for t, a in tags if t == 'a' and a.get('href', '').startswith(('https://', 'mailto:'))]
    assert len(links) == 4
    for h in links:
        assert quote(url, safe='') in h and '&b=2' not in h, h
        q = parse_qs(urlsplit(h).query)
        assert any(url in v for v in sum(q.values(), [])), h
    assert [a['data-copy'] for t, a in tags if t == 'button'] == [url]
    for bad in ('javascript:alert(1)', 'file:///etc/passwd', '//example.org/x', 'https://'):
        with pytest.raises(InputError, match='share_url'): publish_to(tmp_path / 'site2', src, share_url=bad)

def test_csp_hashes_match_inline_code_and_no_external_loads(tmp_path, src):
    page = publish_to(tmp_path / 'site', src).index.read_text()
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1))
    for tag in ('script', 'style'):
        body = re.search(rf'<{tag}>(.*?)</{tag}>', page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in csp, tag
    assert "connect-src 'none'" in csp and "object-src 'none'" in csp
    for t, a in Tags(page).tags:
        for k in ('src', 'poster'):
            if k in a: assert not urlsplit(a[k]).scheme and not a[k].startswith('//'), a
        if t == 'link': raise AssertionError(f'no <link> elements expected: {a}')

def test_render_page_voice_rtl_portrait_and_required_files():
    f = copy.deepcopy(sample_film())
    f.aspect, f.logline = '9:16', ''
    f.characters[0].voice = Voice('en_US-joe', pitch=-2.5, formant=1.1, tempo=1.0)
    f.scenes[1].lines[0].text = 'السلام عليكم 👋'
    page = render_page(f, {'video': PublishedFile('film.mp4', 'Film', 1234), 'poster': 'poster.png', 'vtt': 'captions.vtt'})
    assert 'voice: preset en_US-joe · pitch -2.5 st · formant ×1.1' in page and 'tempo' not in page
    assert 'calc(78vh * 9 / 16)' in page and 'aspect-ratio:9/16' in page
    assert '<span class="text" dir="auto">السلام عليكم 👋</span>' in page
    assert 'class="logline"' not in page and '1.2 kB' in page
    assert [a for t, a in Tags(page).tags if t == 'track'][0].get('data-inline') is None
    with pytest.raises(InputError, match="'poster'"): render_page(f, {'video': 'film.mp4', 'vtt': 'captions.vtt'})

def test_report_backends_in_several_shapes():
    f = sample_film()
    files = {'video': 'film.mp4', 'poster': 'poster.png', 'vtt': 'captions.vtt'}
    for rep in ({'backends': {'painter': 'procedural'}}, {'backends': {'painter': {'name': 'procedural', 'version': '3'}}},
                {'backends': [{'stage': 'painter', 'name': 'procedural', 'version': '3'}]}, {'backends': {'painter': ('procedural', '3')}}):
        page = render_page(f, files, report=rep)
        assert '<td>painter</td><td dir="auto">procedural</td>' in page, rep
    assert 'Made with</h3>' not in render_page(f, files, report={})

def test_callback_and_republish_replaces_page(tmp_path, src):
    ticks = []
    out = tmp_path / 'site'
    publish_to(out, src, callback=lambda d, t: ticks.append((d, t)))
    assert ticks == [(k, 7) for k in range(1, 8)]
    f = sample_film(); f.title = 'Second cut'
    StaticPublisher()(f, out_dir=out, video=src / 'film.mp4', poster=src / 'poster.png', vtt=src / 'film.vtt', srt=src / 'film.srt', downloads={})
    page = (out / 'index.html').read_text()
    assert '<title>Second cut</title>' in page and 'film.json' not in page

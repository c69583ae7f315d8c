"""Tests of the OpenAI-compatible images painter against a real HTTP server on 127.0.0.1 (no mocks).

The server answers each POST with the next item of its script (the last repeats): an image of the requested size whose
pixels encode their own position (red = x, green = y), an OpenAI-style error (optionally with headers), or a raw body.
Edits requests are parsed as real multipart/form-data."""
import base64, email.parser, email.policy, io, json, logging, socket, threading, time
from scripted_server import ScriptedServer, error, raw
import numpy as np
import pytest
from PIL import Image
from aistudio.core import BackendError, InputError
from aistudio.film import sample_film
from aistudio.imageapi import OpenAIImages, decode_image, nearest_size, parse_sizes, MODEL_SIZES

KEY = 'sk-img-test-0123456789abcdef'
ENV = 'MY_IMAGES_KEY'


def coords(w, h, fmt='PNG'):
    "An image whose red channel is x / w and green channel y / h (scaled to 0..255)."
    x = np.linspace(0, 255, w)[None, :].repeat(h, 0); y = np.linspace(0, 255, h)[:, None].repeat(w, 1)
    a = np.stack([x, y, np.full_like(x, 128)], -1).round().astype(np.uint8)
    b = io.BytesIO(); Image.fromarray(a).save(b, fmt); return b.getvalue()


def picture(fmt='PNG', size=None): return {'kind': 'image', 'fmt': fmt, 'size': size}
def b64(data): return raw(json.dumps({'created': 0, 'data': [{'b64_json': base64.b64encode(data).decode()}]}).encode())


class ImageServer(ScriptedServer):
    routes = ('/v1/images/generations', '/v1/images/edits')
    def parse(self, ctype, data):
        if not ctype.startswith('multipart/form-data'): return {'body': json.loads(data or b'{}'), 'files': {}}
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(f'Content-Type: {ctype}\r\n\r\n'.encode() + data)
        parts = {p.get_param('name', header='content-disposition'): p for p in msg.iter_parts()}
        return {'body': {k: p.get_payload(decode=True).decode() for k, p in parts.items() if not p.get_filename()},
                'files': {k: (p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for k, p in parts.items() if p.get_filename()}}
    def answer(self, item, req):
        w, h = item['size'] or map(int, req['body']['size'].split('x'))
        out = {'created': 0, 'data': [{'b64_json': base64.b64encode(coords(w, h, item['fmt'])).decode(), 'revised_prompt': 'revised'}]}
        return json.dumps(out).encode(), 'application/json'


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(ENV, KEY); return KEY


@pytest.fixture(scope='module')
def film(): return sample_film()


def painter(url, model='dall-e-3', **kw): return OpenAIImages.from_pretrained(model, base_url=url, api_key_env=ENV, backoff=0.01, **kw)
def shot(p, film, w=640, h=360, **kw): return p('', film=film, scene_index=kw.pop('scene_index', 1), shot_index=0, width=w, height=h, seed=kw.pop('seed', 3), **kw)


def test_generation_request_and_exact_fit(key, film):
    steps = []
    with ImageServer(picture()) as srv:
        out = shot(painter(srv.url), film, 640, 360, negative_prompt='blurry faces', callback=lambda i, n: steps.append((i, n)))
        req = srv.requests[0]
    assert req['path'] == '/v1/images/generations' and req['headers']['authorization'] == f'Bearer {KEY}'
    b = req['body']
    assert (b['model'], b['size'], b['n'], b['response_format']) == ('dall-e-3', '1792x1024', 1, 'b64_json') and 'seed' not in b
    for part in ('an old woman and a cloud share the light', 'MARA', 'grey braid, yellow oilskin coat', 'a swirl of dark cloud',
                 '#1b2a41', '#c9d6df', 'warm', 'dawn', 'Avoid: blurry faces'):
        assert part in b['prompt'], part
    assert out.image.size == (640, 360) and out.image.mode == 'RGB' and steps == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert out.info['seed_sent'] is False and out.info['seed'] == 3 and out.info['revised_prompt'] == 'revised'
    # 1792x1024 (1.75) to 16:9 (1.778): full width kept, 8 rows cut top and bottom -> red spans 0..255, green ~2..253
    a = np.asarray(out.image).astype(float)
    print('fit: red at left/right', a[180, 0, 0], a[180, -1, 0], 'green at top/bottom', a[0, 320, 1], a[-1, 320, 1], 'crop', out.info['crop'])
    assert a[180, 0, 0] < 3 and a[180, -1, 0] > 252 and 0.5 < a[0, 320, 1] < 5 and 250 < a[-1, 320, 1] < 254.5
    assert out.info['crop'] == [0, 8, 1792, 1016]


def test_portrait_from_square_only_sizes_crops_the_middle(key, film):
    with ImageServer(picture('JPEG')) as srv:
        out = shot(painter(srv.url, 'dall-e-2'), film, 360, 640)
        assert srv.requests[0]['body']['size'] == '1024x1024'
    a = np.asarray(out.image).astype(float)
    # 9:16 from a square keeps columns 224..800 of 1024: red from ~56 to ~199
    print('portrait crop: red at left/right', a[320, 0, 0], a[320, -1, 0])
    assert out.image.size == (360, 640) and abs(a[320, 0, 0] - 224 / 1023 * 255) < 4 and abs(a[320, -1, 0] - 799 / 1023 * 255) < 4


def test_sizes_policy():
    d3 = parse_sizes(MODEL_SIZES['dall-e-3'])
    assert nearest_size(1920, 1080, d3) == (1792, 1024) and nearest_size(1080, 1920, d3) == (1024, 1792) and nearest_size(500, 500, d3) == (1024, 1024)
    gi = parse_sizes(MODEL_SIZES['gpt-image'])
    assert nearest_size(1280, 720, gi) == (1536, 1024) and nearest_size(720, 1280, gi) == (1024, 1536)
    assert nearest_size(200, 200, parse_sizes(['256x256', '512x512'])) == (256, 256)
    assert OpenAIImages(sizes='exact').request_size(777, 333) == (777, 333)
    for bad in (['0x0'], ['100000x100000'], [], ['big']):
        with pytest.raises(InputError): OpenAIImages(sizes=bad)


def test_gpt_image_sends_no_response_format_and_exact_sizes(key, film):
    with ImageServer(picture('WEBP')) as srv:
        out = shot(painter(srv.url, 'gpt-image-1', quality='low', sizes='exact'), film, 400, 300)
        b = srv.requests[0]['body']
    assert 'response_format' not in b and b['quality'] == 'low' and b['size'] == '400x300' and out.info['crop'] == [0, 0, 400, 300]


def test_edit_with_reference_is_multipart(key, film, tmp_path):
    ref = Image.fromarray(np.full((300, 200, 3), (200, 30, 40), np.uint8)); path = tmp_path / 'mara.png'; ref.save(path)
    with ImageServer(picture()) as srv:
        p = painter(srv.url, 'dall-e-2')
        out = shot(p, film, 256, 256, reference=path)
        out2 = shot(p, film, 256, 256, reference=ref)
        req = srv.requests[0]
    assert req['path'] == '/v1/images/edits' and req['headers']['content-type'].startswith('multipart/form-data; boundary=')
    assert req['body']['model'] == 'dall-e-2' and req['body']['size'] == '256x256' and 'MARA' in req['body']['prompt']
    fname, ctype, data = req['files']['image']
    sent = Image.open(io.BytesIO(data))
    assert (fname, ctype, sent.format, sent.size, sent.mode) == ('reference.png', 'image/png', 'PNG', (256, 256), 'RGBA')
    assert np.abs(np.asarray(sent)[..., :3].astype(int) - (200, 30, 40)).max() <= 1
    assert out.info['reference'] and out.info['endpoint'] == '/images/edits' and out2.image.size == (256, 256)
    with pytest.raises(InputError, match='does not exist'): shot(p, film, 256, 256, reference=tmp_path / 'nope.png')
    with pytest.raises(InputError, match='not an image'): shot(p, film, 256, 256, reference=b'not an image at all')


def test_429_retry_after_honoured_then_success(key, film):
    with ImageServer(error(429, 'slow down', {'Retry-After': '1'}), picture()) as srv:
        t0 = time.time(); out = shot(painter(srv.url, retries=2), film)
        gap = srv.requests[1]['time'] - srv.requests[0]['time']
    print(f'429 -> retried after {gap:.2f} s (Retry-After: 1, backoff 0.01 s)')
    assert len(srv.requests) == 2 and out.image.size == (640, 360) and 0.95 <= gap < 2.5
    with ImageServer(error(429, 'come back tomorrow', {'Retry-After': '86400'})) as srv:
        with pytest.raises(BackendError, match='max_wait'): shot(painter(srv.url, retries=3), film)
        assert len(srv.requests) == 1


def test_500_always_fails_after_retries(key, film):
    with ImageServer(error(500, f'internal error for {KEY}')) as srv:
        with pytest.raises(BackendError, match='after 3 attempts') as e: shot(painter(srv.url, retries=2), film)
        assert len(srv.requests) == 3
    assert srv.url + '/images/generations' in str(e.value) and KEY not in str(e.value)
    with ImageServer(error(400, 'Your request was rejected by the safety system')) as srv:
        with pytest.raises(BackendError, match='400 Your request was rejected'): shot(painter(srv.url, retries=2), film)
        assert len(srv.requests) == 1


@pytest.mark.parametrize('item, match', [
    (raw(b'<html>bad gateway</html>', 'text/html'), 'did not answer JSON'),
    (raw(b'{"data": []}'), 'without an image'),
    (raw(b'{"data": [{"url": "http://example.invalid/x.png"}]}'), 'sent a URL'),
    (raw(b'{"data": [{"b64_json": "!!!not base64!!!"}]}'), 'not base64'),
    (b64(b'GIF89a garbage bytes'), 'did not return an image'),
    (b64(coords(1, 1)), '1x1'),
    (b64(coords(64, 64, 'GIF')), 'GIF'),
    (b64(coords(640, 480)[:len(coords(640, 480)) // 2]), 'broken PNG'),   # cut in half
])
def test_garbage_answers(key, film, item, match):
    with ImageServer(item) as srv:
        with pytest.raises(BackendError, match=match) as e: shot(painter(srv.url), film)
    assert srv.url in str(e.value)


def test_redirect_is_not_followed_with_the_key(key, film):
    with ImageServer(picture()) as other:
        with ImageServer(error(307, 'moved', {'Location': other.url + '/images/generations'})) as srv:
            with pytest.raises(BackendError, match='307') as e: shot(painter(srv.url), film)
        assert other.requests == [] and KEY not in str(e.value)


def test_missing_key_variable(monkeypatch, film):
    monkeypatch.delenv(ENV, raising=False)
    t0 = time.time()
    with pytest.raises(InputError, match=ENV): shot(OpenAIImages(api_key_env=ENV), film)   # hosted API: refused before any request
    assert time.time() - t0 < 1
    with ImageServer(error(401, 'You did not provide an API key.')) as srv:        # a local server that wants one
        with pytest.raises(BackendError, match=f'set the environment variable {ENV}'): shot(painter(srv.url), film)
        assert 'authorization' not in srv.requests[0]['headers'] and len(srv.requests) == 1


def test_refused_port_is_fast(key, film):
    with socket.socket() as so:
        so.bind(('127.0.0.1', 0)); port = so.getsockname()[1]
    t0 = time.time()
    with pytest.raises(BackendError, match=f'127.0.0.1:{port}/v1/images/generations failed after 3 attempts'):
        shot(painter(f'http://127.0.0.1:{port}/v1', retries=2), film)
    print(f'refused port: {time.time() - t0:.3f} s'); assert time.time() - t0 < 2


def test_bad_call_arguments_fail_before_any_request(key, film):
    with ImageServer(picture()) as srv:
        p = painter(srv.url)
        for w, h in ((0, 0), (100000, 100000), (640.0, 360), (True, 360)):
            with pytest.raises(InputError, match='pixels'): shot(p, film, w, h)
        for kw in ({'scene_index': 9}, {'seed': -1}):
            with pytest.raises(InputError): shot(p, film, **kw)
        with pytest.raises(InputError): p('', film='not a film', scene_index=0, shot_index=0, width=64, height=64, seed=0)
        assert srv.requests == []


def test_long_prompt_is_cut_with_a_warning(key, film):
    with ImageServer(picture()) as srv:
        out = painter(srv.url, 'dall-e-2')('storm ' * 400, film=film, scene_index=0, shot_index=0, width=256, height=256, seed=0)
        sent = srv.requests[0]['body']['prompt']
    assert len(sent) <= 1000 and sent.startswith('storm storm') and 'cut from' in out.info['warnings'][0]


def test_key_never_leaks(key, film, caplog):
    caplog.set_level(logging.DEBUG)
    p = None
    with ImageServer(error(401, f'Incorrect API key provided: {KEY}'), error(503, f'busy {KEY}'), error(400, f'bad {KEY}')) as srv:
        p = painter(srv.url, retries=0)
        errs = []
        for _ in range(3):
            with pytest.raises(BackendError) as e: shot(p, film)
            errs.append(str(e.value) + repr(e.value))
    texts = errs + [repr(p), json.dumps(p.params()), caplog.text]
    assert all(KEY not in t for t in texts) and ENV in errs[0] and ENV not in json.dumps(p.params())
    with pytest.raises(TypeError): OpenAIImages(api_key=KEY)
    with pytest.raises(InputError) as e: OpenAIImages.from_pretrained('dall-e-3', api_key=KEY)
    assert KEY not in str(e.value)


def test_settings_are_checked():
    for kw in ({'base_url': 'ftp://x/v1'}, {'base_url': 'http://user:pw@host/v1'}, {'api_key_env': 'MY KEY'}, {'api_key_env': KEY + '!'},
               {'quality': 'very high'}, {'timeout': 0}, {'retries': 11}, {'max_wait': -1}):
        with pytest.raises(InputError): OpenAIImages(**kw)
    with pytest.raises(InputError, match='plain name'): OpenAIImages.from_pretrained('model; rm -rf /')
    assert OpenAIImages.from_pretrained(None).model == 'gpt-image-1'
    p = OpenAIImages('dall-e-3'); assert p.params()['sizes'] == ['1024x1024', '1792x1024', '1024x1792'] and p.params()['seed_sent'] is False


def test_decode_image_limits():
    assert decode_image(coords(64, 32, 'JPEG')).size == (64, 32)
    rgba = io.BytesIO(); Image.new('RGBA', (32, 32), (255, 0, 0, 0)).save(rgba, 'PNG')
    assert decode_image(rgba.getvalue()).getpixel((5, 5)) == (0, 0, 0)   # transparency on black
    with pytest.raises(BackendError, match='9000x16'): decode_image(coords(9000, 16))

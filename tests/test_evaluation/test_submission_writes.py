"""results.json and the submission zip change together, even when killed.

A real process writing the pair through the metric
(tests/test_evaluation/submission_writer.py) is SIGKILLed at each critical
moment; the pair it leaves must be the old one or the new one, complete and
consistent, with nothing but the pair and its hidden store in the folder.
"""
import json
import os
import sys
import zipfile

import pytest

from mmseqformer.testing import kill_when_ready
from mmseqformer.utils import atomic_output_files
from tests.test_evaluation.submission_writer import write_pair as write

NAMES = ['.results.versions', 'results.json', 'results.submission_file.zip']


def writer(prefix, tag, *hang_at):
    return [
        sys.executable, '-m', 'tests.test_evaluation.submission_writer',
        str(prefix),
        str(tag), *hang_at
    ]


def kill_at(prefix, tag, hang_at):
    kill_when_ready(writer(prefix, tag, hang_at), hang_at)


def visible_tag(folder):
    """The tag of the pair the folder shows; fails if json and zip differ."""
    results = json.loads((folder / 'results.json').read_text())
    with zipfile.ZipFile(folder / 'results.submission_file.zip') as zf:
        assert zf.namelist() == ['results.json']
        assert json.loads(zf.read('results.json')) == results, \
            'results.json and the zip disagree'
    assert len(results) == 200
    tags = {result['video_id'] for result in results}
    assert len(tags) == 1
    return tags.pop()


@pytest.mark.slow
@pytest.mark.parametrize('hang_at, survivor', [('json', 1), ('zip', 1),
                                               ('switch', 1), ('cleanup', 2)])
def test_kill_leaves_the_old_or_the_new_pair(tmp_path, hang_at, survivor):
    write(str(tmp_path / 'results'), 1)
    kill_at(tmp_path / 'results', 2, hang_at)
    assert visible_tag(tmp_path) == survivor
    assert sorted(os.listdir(tmp_path)) == NAMES
    # The next write removes what the kill left in the store.
    write(str(tmp_path / 'results'), 3)
    assert visible_tag(tmp_path) == 3
    store = tmp_path / '.results.versions'
    assert len(os.listdir(store)) == 2  # `current` and its version


@pytest.mark.slow
def test_kill_while_adopting_plain_files_keeps_the_old_pair(tmp_path):
    # A pair written as plain files (older versions, or by hand).
    write(str(tmp_path / 'results'), 1)
    for name in NAMES[1:]:
        content = (tmp_path / name).read_bytes()
        (tmp_path / name).unlink()
        (tmp_path / name).write_bytes(content)
    kill_at(tmp_path / 'results', 2, 'adopt')
    assert (tmp_path / 'results.json').is_symlink()
    assert not (tmp_path / 'results.submission_file.zip').is_symlink()
    assert visible_tag(tmp_path) == 1
    write(str(tmp_path / 'results'), 3)
    assert visible_tag(tmp_path) == 3


def test_error_in_the_block_keeps_the_old_files(tmp_path):
    paths = [str(tmp_path / 'a.txt'), str(tmp_path / 'b.txt')]
    with atomic_output_files(paths) as (a, b):
        open(a, 'w').write('old a')
        open(b, 'w').write('old b')
    with pytest.raises(RuntimeError):
        with atomic_output_files(paths) as (a, b):
            open(a, 'w').write('new a')
            raise RuntimeError('disk full')
    assert [open(p).read() for p in paths] == ['old a', 'old b']
    assert len(os.listdir(tmp_path / '.a.versions')) == 2


def test_files_are_readable_links_into_the_store(tmp_path):
    paths = [str(tmp_path / 'a.txt'), str(tmp_path / 'b.txt')]
    with atomic_output_files(paths) as (a, b):
        open(a, 'w').write('a')
        open(b, 'w').write('b')
    assert os.readlink(paths[0]) == os.path.join('.a.versions', 'current',
                                                 'a.txt')
    umask = os.umask(0)
    os.umask(umask)
    # mkdtemp makes private folders; the store's must be readable as usual.
    assert os.stat(paths[0]).st_mode & 0o777 == 0o666 & ~umask
    version = os.path.realpath(os.path.dirname(os.path.realpath(paths[0])))
    assert os.stat(version).st_mode & 0o777 == 0o777 & ~umask

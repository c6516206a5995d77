"""``benchmark.py modes`` and ``benchmark.py mode-memory``: tiny runs that
fill the tables (the library: tests/test_benchmark)."""
import json
import os.path as osp
import re
import sys

import pytest

from mmseqformer.datasets.synthetic import (LONG_SPLIT, LongSyntheticVISSpec,
                                            make_long_videos)
from mmseqformer.testing import REPO_ROOT, TINY_CONFIG, markdown_table_rows
from mmseqformer.testing import run_tool as run

BENCHMARK = 'tools/analysis_tools/benchmark.py'
TRACK_ERRORS = 'tools/analysis_tools/analyze_track_errors.py'
NUMBER = re.compile(r'^\d+(\.\d+)?$')

table_rows = markdown_table_rows


def tables(printed: str) -> dict:
    """Each ``### name: ...`` section's table rows, by name."""
    sections = re.split(r'^### ', printed, flags=re.M)[1:]
    return {
        section.split(':', 1)[0]: table_rows(section)
        for section in sections
    }


# ---------------------------------------------------------------------------
# Tiny runs
# ---------------------------------------------------------------------------


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory) -> str:
    """Weights of the tiny model as built (random), in a checkpoint."""
    import torch

    from mmseqformer.apis import init_vis_model
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    model = init_vis_model(osp.join(REPO_ROOT, TINY_CONFIG), fold_bn=False)
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=model.dataset_meta)), path)
    return path


@pytest.fixture(scope='module')
def long_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('long') / 'synthetic_vis')
    make_long_videos(
        root,
        LongSyntheticVISSpec(
            seed=1, num_videos=2, num_frames=8, max_objects=2))
    return root


@pytest.mark.slow
def test_tables_of_annotated_sets(long_root, tiny_checkpoint, tmp_path):
    official = osp.join(long_root, f'{LONG_SPLIT}.json')
    cocovid = osp.join(long_root, 'annotations',
                       f'synthetic_vis_{LONG_SPLIT}.json')
    frames = osp.join(long_root, LONG_SPLIT, 'JPEGImages')
    work_dir = tmp_path / 'work'
    printed = run([
        sys.executable, BENCHMARK, 'modes', TINY_CONFIG, tiny_checkpoint,
        '--ann', official, '--img-root', frames, '--ann', cocovid,
        '--img-root', frames, '--modes', 'offline', 'window:2', '--threads',
        '1', '--work-dir',
        str(work_dir)
    ])
    by_set = tables(printed)
    assert set(by_set) == {LONG_SPLIT, f'synthetic_vis_{LONG_SPLIT}'}
    for name, rows in by_set.items():
        assert [row[0] for row in rows] == ['offline', 'window:2']
        # mode, AP, AP50, HOTA, IDF1, IDSW, latency, s/frame, peak RSS
        for row in rows:
            assert len(row) == 9 and all(
                NUMBER.match(cell) for cell in row[1:6] + row[7:]), row
            assert float(row[8]) > 0.1  # GB: the model and Python at least
        assert [row[6] for row in rows] == ['T (longest 8)', '0']
        assert (work_dir / f'{name}.md').read_text().strip() in printed
        for stem in ('offline', 'window-2'):
            with open(work_dir / name / f'{stem}.json') as f:
                results = json.load(f)
            assert {entry['video_id'] for entry in results} <= {1, 2}
            assert all(len(entry['segmentations']) == 8 for entry in results)
    # Both layouts of one set: the same accuracy.
    assert [row[:6] for row in by_set[LONG_SPLIT]] == \
        [row[:6] for row in by_set[f'synthetic_vis_{LONG_SPLIT}']]
    # The modes' results files broken down by analyze_track_errors.py.
    printed = run([
        sys.executable, TRACK_ERRORS, official,
        str(work_dir / LONG_SPLIT / 'offline.json'),
        str(work_dir / LONG_SPLIT / 'window-2.json'), '--score-thr', '0'
    ])
    rows = table_rows(printed)
    assert [row[0] for row in rows] == ['offline.json', 'window-2.json']
    for row in rows:
        # 11 numbers (n/a where nothing matched), then the returns kept /
        # matched / all, and those gone to another object's track.
        assert len(row) == 14 and all(
            NUMBER.match(cell) or cell == 'n/a' for cell in row[1:12]), row
        assert re.match(r'^\d+ / \d+ / \d+$', row[12]), row
        assert re.match(r'^\d+$', row[13]), row


@pytest.mark.slow
def test_table_of_one_video_against_offline(long_root, tiny_checkpoint,
                                            tmp_path):
    video = osp.join(long_root, LONG_SPLIT, 'JPEGImages', f'{LONG_SPLIT}_000')
    printed = run([
        sys.executable, BENCHMARK, 'modes', TINY_CONFIG, tiny_checkpoint,
        '--video', video, '--modes', 'online', 'clips:3', '--score-thr', '0',
        '--threads', '1', '--work-dir',
        str(tmp_path)
    ])
    rows = tables(printed)[f'{LONG_SPLIT}_000']
    # offline, the reference, is added.
    assert [row[0] for row in rows] == ['offline', 'online', 'clips:3']
    assert rows[0][1:3] == ['1.000', '1.000']
    for row in rows:
        assert all(NUMBER.match(cell) for cell in row[1:4] + row[5:]), row
    assert [row[4] for row in rows] == ['T (longest 8)', '0', '2']
    match = re.search(
        r'class probabilities differ by at most (\S+), instance queries by '
        r'at most (\S+)\.', printed)
    assert float(match.group(1)) < 1e-4 and float(match.group(2)) < 1e-4


@pytest.mark.slow
def test_memory_benchmark_fills_its_table():
    printed = run([
        sys.executable, BENCHMARK, 'mode-memory', '--frames', '3', '6',
        '--modes', 'online', 'clips:2', '--size', '64', '96', '--threads', '1'
    ])
    rows = table_rows(printed)
    assert [row[0] for row in rows] == ['online', 'clips:2']
    for row in rows:
        # peak, growth, s/frame at 3 and at 6 frames, then the ratio.
        assert len(row) == 8 and all(NUMBER.match(cell)
                                     for cell in row[1:]), row
        assert float(row[1]) > 0.1
        # The ratio is of the unrounded values; the cells are rounded to
        # 3 decimals (half a unit each, carried through the quotient).
        peak_3, peak_6 = float(row[1]), float(row[4])
        rounding = 5e-4 * (1 / peak_3 + peak_6 / peak_3**2) + 5e-4
        assert float(row[7]) == pytest.approx(peak_6 / peak_3, abs=rounding)

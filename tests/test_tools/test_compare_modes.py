"""tools/analysis_tools/compare_modes.py and benchmark_mode_memory.py: mode
specs, AP and agreement computations, and tiny runs that fill the tables."""
import json
import os.path as osp
import re
import sys

import numpy as np
import pycocotools.mask as mask_util
import pytest

from mmseqformer.datasets.synthetic import (LONG_SPLIT, LongSyntheticVISSpec,
                                            make_long_videos)
from tests.conftest import (REPO_ROOT, markdown_table_rows,
                            run_analysis_tool_module)
from tests.conftest import run_tool as run

TINY_CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-4000it_synthetic.py'
NUMBER = re.compile(r'^\d+(\.\d+)?$')


@pytest.fixture(scope='module')
def tool():
    return run_analysis_tool_module('compare_modes.py')


table_rows = markdown_table_rows


def tables(printed: str) -> dict:
    """Each ``### name: ...`` section's table rows, by name."""
    sections = re.split(r'^### ', printed, flags=re.M)[1:]
    return {
        section.split(':', 1)[0]: table_rows(section)
        for section in sections
    }


# ---------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------


def test_mode_specs(tool):
    parse = tool['parse_mode_spec']
    assert parse('online').options == {}
    assert parse('window:8').options == dict(window=8)
    assert parse('clips:5:2').options == dict(clip_length=5, overlap=2)
    assert parse('window:8:similarity_thr=0.3').options == dict(
        window=8, similarity_thr=0.3)
    assert parse('offline:none').options == dict(chunk_size=None)
    assert parse('clips:5:2').file_stem == 'clips-5-2'
    with pytest.raises(ValueError, match="'windows' is not one of"):
        parse('windows:8')
    with pytest.raises(ValueError, match='needs a name'):
        parse('online:3')
    with pytest.raises(ValueError, match="no option 'stride'.*max_lost"):
        parse('window:8:stride=2')
    with pytest.raises(ValueError, match="'x' is not a number"):
        parse('clips:x')
    with pytest.raises(ValueError, match='given twice'):
        parse('window:8:window=4')


def ground_truth_entries(official: dict, score: float = 1.0) -> list:
    return [
        dict(
            video_id=ann['video_id'],
            category_id=ann['category_id'],
            score=score,
            segmentations=ann['segmentations'])
        for ann in official['annotations']
    ]


def test_ap_of_both_layouts(tool, synthetic_root):
    official_file = osp.join(synthetic_root, 'valid.json')
    cocovid_file = osp.join(synthetic_root,
                            'annotations/synthetic_vis_valid.json')
    with open(official_file) as f:
        entries = ground_truth_entries(json.load(f))
    ap = tool['youtube_vis_ap']
    for ann_file in (official_file, cocovid_file):
        # AR1 < 1: one track per video cannot find every instance.
        perfect = ap(ann_file, entries)
        assert perfect == pytest.approx(
            dict(AP=1, AP50=1, AP75=1, AR1=perfect['AR1'], AR10=1), abs=1e-6)
        assert perfect['AR1'] < 1
    # Half of the tracks, with a wrong class for one of them: AP < 1, the
    # same from both layouts.
    half = entries[::2]
    half[0] = dict(
        half[0], category_id=9 if half[0]['category_id'] != 9 else 2)
    official_ap = ap(official_file, half)
    assert 0 < official_ap['AP'] < 1
    assert ap(cocovid_file, half) == pytest.approx(official_ap)
    assert ap(official_file, []) == dict(
        AP=0.0, AP50=0.0, AP75=0.0, AR1=0.0, AR10=0.0)


def entry(masks, score=1.0) -> dict:
    """A results entry from (T, H, W) masks (None for a frame without)."""
    segmentations = []
    for mask in masks:
        rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
        rle['counts'] = rle['counts'].decode()
        segmentations.append(rle)
    return dict(
        video_id=1, category_id=1, score=score, segmentations=segmentations)


def test_agreement_with_offline(tool):
    agreement = tool['agreement_with_offline']
    square = np.zeros((2, 8, 8), bool)
    square[:, 0:4, 0:4] = True  # 16 pixels in both frames
    shifted = np.zeros((2, 8, 8), bool)
    shifted[0, 0:4, 2:6] = True  # IoU 8 / 24 in frame 0
    offline = [entry(square), entry(~square, score=0.1)]
    same = agreement(offline, [entry(square)], 0.5)
    assert same == dict(mean_iou=1.0, matched=1.0, pairs=2)
    # Frame 0: best of 1/3 and 0; frame 1: no mask at all.
    other = agreement(offline, [entry(shifted), entry(~square)], 0.5)
    assert other['mean_iou'] == pytest.approx((1 / 3 + 0) / 2)
    assert other['matched'] == 0.0 and other['pairs'] == 2
    # The low-scoring offline entry counts only below its score.
    assert agreement(offline, [entry(square)], 0.05)['pairs'] == 4
    assert np.isnan(agreement(offline, [], 2.0)['mean_iou'])


def test_category_ids_by_class_name(tool):
    categories = [dict(id=9, name='triangle'), dict(id=2, name='ellipse')]
    ids = tool['label_category_ids']
    assert ids(['ellipse', 'triangle'], categories, 'a.json') == [2, 9]
    assert ids(None, categories, 'a.json') == [2, 9]
    with pytest.raises(ValueError, match="a.json: no category named 'box'"):
        ids(['ellipse', 'box'], categories, 'a.json')


def test_inputs_are_checked_before_any_run(tool, synthetic_root, tmp_path):
    main = tool['main']
    base = [TINY_CONFIG, TINY_CONFIG, '--work-dir', str(tmp_path)]
    ann = osp.join(synthetic_root, 'valid.json')
    with pytest.raises(SystemExit, match='one --img-root per --ann'):
        main(base + ['--ann', ann])
    with pytest.raises(SystemExit, match=r'frame 0: .*does not exist'):
        main(base + ['--ann', ann, '--img-root', str(tmp_path)])
    with pytest.raises(SystemExit, match='not both'):
        main(base +
             ['--ann', ann, '--img-root',
              str(tmp_path), '--video', ann])
    with pytest.raises(SystemExit, match="mode 'clips:0:x'"):
        main(base + ['--video', ann, '--modes', 'clips:0:x'])


# ---------------------------------------------------------------------------
# Tiny runs
# ---------------------------------------------------------------------------


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory) -> str:
    """Weights of the tiny model as built (random), in a checkpoint."""
    import torch

    from mmseqformer.apis import init_vis_model
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    model = init_vis_model(osp.join(REPO_ROOT, TINY_CONFIG))
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
        sys.executable, 'tools/analysis_tools/compare_modes.py', TINY_CONFIG,
        tiny_checkpoint, '--ann', official, '--img-root', frames, '--ann',
        cocovid, '--img-root', frames, '--modes', 'offline', 'window:2',
        '--threads', '1', '--work-dir',
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


@pytest.mark.slow
def test_table_of_one_video_against_offline(long_root, tiny_checkpoint,
                                            tmp_path):
    video = osp.join(long_root, LONG_SPLIT, 'JPEGImages', f'{LONG_SPLIT}_000')
    printed = run([
        sys.executable, 'tools/analysis_tools/compare_modes.py', TINY_CONFIG,
        tiny_checkpoint, '--video', video, '--modes', 'online', 'clips:3',
        '--score-thr', '0', '--threads', '1', '--work-dir',
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
        sys.executable, 'tools/analysis_tools/benchmark_mode_memory.py',
        '--frames', '3', '6', '--modes', 'online', 'clips:2', '--size', '64',
        '96', '--threads', '1'
    ])
    rows = table_rows(printed)
    assert [row[0] for row in rows] == ['online', 'clips:2']
    for row in rows:
        # peak, growth, s/frame at 3 and at 6 frames, then the ratio.
        assert len(row) == 8 and all(NUMBER.match(cell)
                                     for cell in row[1:]), row
        assert float(row[1]) > 0.1
        assert float(row[7]) == pytest.approx(
            float(row[4]) / float(row[1]), abs=2e-3)

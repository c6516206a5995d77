"""tools/demo/video_demo.py --out-masks / --out-json (alias --json)."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pycocotools.mask as mask_util
import pytest

from mmseqformer.datasets.converters import read_instance_png
from mmseqformer.testing import (REPO_ROOT, TINY_CONFIG, moving_block_video,
                                 run_tool)

NUM_FRAMES = 4


@pytest.fixture
def frames_folder(tmp_path):
    """A small video as a folder of frames: a bright block moving over
    noise."""
    folder = tmp_path / 'clip'
    folder.mkdir()
    for t, frame in enumerate(
            moving_block_video(NUM_FRAMES, (48, 64), step=6)):
        cv2.imwrite(str(folder / f'{t:05d}.png'), frame)
    return str(folder)


def demo_command(frames_folder, checkpoint_path, tmp_path, *options):
    return [
        sys.executable, 'tools/demo/video_demo.py', frames_folder, TINY_CONFIG,
        checkpoint_path, '--out',
        str(tmp_path / 'clip.mp4'), '--chunk-size', '2', *options
    ]


@pytest.mark.slow
def test_out_masks_pngs_decode_to_the_predicted_masks(
        frames_folder,
        checkpoint,  # noqa: F811
        tmp_path):
    masks_dir, json_path = tmp_path / 'masks', tmp_path / 'results.json'
    log = run_tool(
        demo_command(frames_folder, checkpoint, tmp_path, '--score-thr', '0',
                     '--json', str(json_path), '--out-masks', str(masks_dir)))
    assert f'wrote {NUM_FRAMES} instance-id PNGs' in log
    results = json.load(open(json_path))  # --json still names the JSON
    assert results
    index = json.load(open(masks_dir / 'instances.json'))
    # PNG id i + 1 is entry i of the results (the prediction's order).
    assert sorted(
        index['instances'],
        key=int) == [str(i + 1) for i in range(len(results))]
    for i, entry in enumerate(results):
        assert index['instances'][str(i + 1)]['score'] == \
            pytest.approx(entry['score'])
        assert index['instances'][str(i + 1)]['category_id'] == \
            entry['category_id']
    scores = np.array([entry['score'] for entry in results])
    for frame in range(NUM_FRAMES):
        masks = mask_util.decode([
            entry['segmentations'][frame] for entry in results
        ]).transpose(2, 0, 1).astype(bool)
        # Each pixel: the highest-scoring instance covering it, else 0.
        expected = np.where(
            masks.any(0),
            np.argmax(np.where(masks, scores[:, None, None], -1), 0) + 1, 0)
        np.testing.assert_array_equal(
            read_instance_png(str(masks_dir / f'{frame:05d}.png')), expected)
    assert sorted(
        os.listdir(tmp_path)) == ['clip', 'clip.mp4', 'masks',
                                  'results.json']  # no temporaries left


@pytest.mark.slow
def test_out_json_and_a_foreign_masks_folder(
        frames_folder,
        checkpoint,  # noqa: F811
        tmp_path):
    foreign = tmp_path / 'photos'
    foreign.mkdir()
    (foreign / 'holiday.jpg').write_text('x')
    result = subprocess.run(
        demo_command(frames_folder, checkpoint, tmp_path, '--out-masks',
                     str(foreign)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode != 0
    # Refused before the model runs; nothing written.
    assert 'photos is a folder with other content' in result.stderr
    assert 'predicting' not in result.stdout
    assert os.listdir(foreign) == ['holiday.jpg']
    assert not (tmp_path / 'clip.mp4').exists()
    out_json = tmp_path / 'out' / 'results.json'
    run_tool(
        demo_command(frames_folder, checkpoint, tmp_path, '--out-json',
                     str(out_json)))
    assert isinstance(json.load(open(out_json)), list)
    assert not (tmp_path / 'clip.json').exists()  # not the default name

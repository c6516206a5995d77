"""The converters' command lines, round trip by round trip, as a user runs
them."""
import json
import os
import subprocess
import sys

import pytest

from mmseqformer.testing import REPO_ROOT, run_tool

TOOLS = 'tools/dataset_converters'


@pytest.mark.slow
def test_command_lines_round_trip(synthetic_root, tmp_path):
    official_path = os.path.join(synthetic_root, 'train.json')
    frames_root = os.path.join(synthetic_root, 'train/JPEGImages')
    official = json.load(open(official_path))
    cocovid, back = str(tmp_path / 'cocovid.json'), str(tmp_path / 'b.json')
    run_tool([
        sys.executable, f'{TOOLS}/youtubevis2cocovid.py', official_path,
        cocovid
    ])
    log = run_tool(
        [sys.executable, f'{TOOLS}/coco_video2youtubevis.py', cocovid, back])
    assert f'{len(official["videos"])} videos' in log
    converted = json.load(open(back))
    assert converted['videos'] == official['videos']
    assert converted['annotations'] == official['annotations']
    pngs, again = str(tmp_path / 'pngs'), str(tmp_path / 'again.json')
    run_tool([
        sys.executable, f'{TOOLS}/youtubevis2instance_pngs.py', official_path,
        pngs
    ])
    run_tool([
        sys.executable, f'{TOOLS}/instance_pngs2youtubevis.py', pngs,
        frames_root, again
    ])
    converted = json.load(open(again))
    assert converted['videos'] == official['videos']
    assert converted['annotations'] == official['annotations']


@pytest.mark.slow
def test_a_broken_input_stops_with_the_entry_named(synthetic_root, tmp_path):
    cocovid = json.load(
        open(
            os.path.join(synthetic_root,
                         'annotations/synthetic_vis_train.json')))
    cocovid['annotations'][2]['image_id'] = 12345
    broken = tmp_path / 'broken.json'
    broken.write_text(json.dumps(cocovid))
    out = tmp_path / 'out.json'
    result = subprocess.run([
        sys.executable, f'{TOOLS}/coco_video2youtubevis.py',
        str(broken),
        str(out)
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True)
    assert result.returncode != 0 and not out.exists()
    ann_id = cocovid['annotations'][2]['id']
    assert result.stderr.strip() == (
        f'error: {broken}: annotations[2] (id={ann_id}) refers to image_id '
        '12345, which is not in "images"')

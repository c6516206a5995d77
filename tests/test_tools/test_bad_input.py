"""Every user-facing tool answers a user's mistake in one line.

Each tool runs as a user runs it, with one bad input (a zero-byte video, a
missing or broken config, a text file for a checkpoint, a JSON that is not
JSON or lacks the keys, a folder that is not what it should be): it must
exit non-zero, the last line of stderr must be ``error: ...`` naming the
file, and no traceback may be printed. The inputs are refused before any
model is built, so each run costs little more than the tool's imports.
"""
import json
import os
import subprocess
import sys

import pytest

from mmseqformer.testing import REPO_ROOT, TINY_CONFIG

DEMO = 'tools/demo/video_demo.py'
CONVERTERS = 'tools/dataset_converters'
ANALYSIS = 'tools/analysis_tools'


def write(path, content=b''):
    """``path`` with ``content`` (bytes or text); returns it as a str."""
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return str(path)


def zero_byte_mp4(tmp):
    video = write(tmp / 'empty.mp4')
    return [
        DEMO, video, TINY_CONFIG, TINY_CONFIG, '--out',
        str(tmp / 'out.mp4')
    ], video


def train_missing_config(tmp):
    config = str(tmp / 'no_such_config.py')
    return ['tools/train.py', config, '--work-dir', str(tmp / 'work')], config


def train_broken_config(tmp):
    config = write(tmp / 'broken.py', 'model = dict(type=\n')
    return ['tools/train.py', config, '--work-dir', str(tmp / 'work')], config


def tools_test_text_checkpoint(tmp):
    checkpoint = write(tmp / 'notes.pth', 'not a checkpoint\n')
    return [
        'tools/test.py', TINY_CONFIG, checkpoint, '--work-dir',
        str(tmp / 'work')
    ], checkpoint


def export_text_checkpoint(tmp):
    checkpoint = write(tmp / 'notes.pth', 'not a checkpoint\n')
    return [
        'tools/deployment/export_onnx.py', TINY_CONFIG, checkpoint,
        str(tmp / 'onnx')
    ], checkpoint


def convert_text_checkpoint(tmp):
    checkpoint = write(tmp / 'official.pth', 'not a checkpoint\n')
    return [
        'tools/model_converters/seqformer_official_to_mmseqformer.py',
        checkpoint,
        str(tmp / 'ours.pth')
    ], checkpoint


def publish_text_checkpoint(tmp):
    checkpoint = write(tmp / 'iter_10.pth', 'not a checkpoint\n')
    return [
        'tools/model_converters/publish_model.py', checkpoint,
        str(tmp / 'published.pth')
    ], checkpoint


def strip_zero_byte_mp4(tmp):
    video = write(tmp / 'empty.mp4')
    return [
        'tools/demo/video_strip.py', video, TINY_CONFIG, TINY_CONFIG, '--out',
        str(tmp / 'strip.png')
    ], video


def coco_video_not_json(tmp):
    coco = write(tmp / 'coco.json', 'this is not JSON')
    return [
        f'{CONVERTERS}/coco_video2youtubevis.py', coco,
        str(tmp / 'out.json')
    ], coco


def ytvis_to_cocovid_lacks_keys(tmp):
    official = write(tmp / 'official.json', '{"videos": []}')
    return [
        f'{CONVERTERS}/youtubevis2cocovid.py', official,
        str(tmp / 'out.json')
    ], official


def ytvis_to_pngs_lacks_keys(tmp):
    ann = write(tmp / 'ann.json', '{"info": {}}')
    return [
        f'{CONVERTERS}/youtubevis2instance_pngs.py', ann,
        str(tmp / 'pngs')
    ], ann


def pngs_mapping_not_json(tmp):
    (tmp / 'pngs').mkdir()
    mapping = write(tmp / 'mapping.json', '{"1": ')
    return [
        f'{CONVERTERS}/instance_pngs2youtubevis.py',
        str(tmp / 'pngs'),
        str(tmp / 'frames'),
        str(tmp / 'out.json'), '--mapping', mapping
    ], mapping


def synthetic_into_a_file(tmp):
    out = write(tmp / 'a_file', 'x')
    return [f'{CONVERTERS}/make_synthetic_vis.py', out], out


def benchmark_broken_config(tmp):
    config = write(tmp / 'broken.py', 'model = dict(\n')
    return [f'{ANALYSIS}/benchmark.py', 'profile', '--config', config], config


def eval_identity_not_json(tmp):
    results = write(tmp / 'results.json', '[]')
    gt = write(tmp / 'gt.json', '{"videos": [{"id": 1,')
    return [f'{ANALYSIS}/eval_identity.py', results, gt], gt


def track_errors_gt_without_annotations(tmp):
    # A test split's file: videos, no ground truth.
    gt = write(
        tmp / 'gt.json',
        json.dumps(
            dict(
                categories=[dict(id=1, name='a')],
                videos=[
                    dict(
                        id=1,
                        height=4,
                        width=4,
                        length=1,
                        file_names=['v/0.jpg'])
                ],
                annotations=[])))
    results = write(tmp / 'results.json', '[]')
    return [f'{ANALYSIS}/analyze_track_errors.py', gt, results], gt


def compare_on_synthetic_into_a_file(tmp):
    data_root = write(tmp / 'a_file', 'x')
    return [
        f'{ANALYSIS}/compare_on_synthetic.py', '--data-root', data_root,
        '--work-dir',
        str(tmp / 'work')
    ], data_root


def compare_with_official_text_checkpoint(tmp):
    checkpoint = write(tmp / 'official.pth', 'not a checkpoint\n')
    return [
        f'{ANALYSIS}/official/compare_with_official.py', checkpoint,
        str(tmp / 'frames.pt'),
        str(tmp / 'outputs.pt')
    ], checkpoint


def compare_video_not_a_checkout(tmp):
    return [
        f'{ANALYSIS}/official/compare_video_with_official.py',
        str(tmp / 'clip.mp4'), '--official-root',
        str(tmp)
    ], str(tmp)


def fixtures_not_a_checkout(tmp):
    return [
        f'{ANALYSIS}/official/make_official_fixtures.py', '--official-root',
        str(tmp), '--out-dir',
        str(tmp / 'out')
    ], str(tmp)


CASES = [
    zero_byte_mp4, train_missing_config, train_broken_config,
    tools_test_text_checkpoint, export_text_checkpoint,
    convert_text_checkpoint, publish_text_checkpoint, strip_zero_byte_mp4,
    coco_video_not_json, ytvis_to_cocovid_lacks_keys, ytvis_to_pngs_lacks_keys,
    pngs_mapping_not_json, synthetic_into_a_file, benchmark_broken_config,
    eval_identity_not_json, track_errors_gt_without_annotations,
    compare_on_synthetic_into_a_file, compare_with_official_text_checkpoint,
    compare_video_not_a_checkout, fixtures_not_a_checkout
]


@pytest.mark.slow
@pytest.mark.parametrize('case', CASES, ids=[case.__name__ for case in CASES])
def test_a_bad_input_is_refused_in_one_line(case, tmp_path):
    command, named = case(tmp_path)
    result = subprocess.run([sys.executable, *command],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert 'Traceback' not in output, output[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {named}'), output[-3000:]


def test_every_user_facing_tool_has_a_case(tmp_path):
    """A new tool under tools/ gets a bad-input case here."""
    tools = set()
    for folder, _, files in os.walk(os.path.join(REPO_ROOT, 'tools')):
        for name in files:
            path = os.path.join(folder, name)
            if not name.endswith('.py'):
                continue
            with open(path) as f:
                if "\nif __name__ == '__main__':" in f.read():
                    tools.add(os.path.relpath(path, REPO_ROOT))
    covered = set()
    for case in CASES:
        folder = tmp_path / case.__name__
        folder.mkdir()
        covered.add(case(folder)[0][0])
    assert tools <= covered

"""tools/train.py, tools/test.py and tools/dist_train.sh, run as a user does.

The tiny peer config trains for a few iterations on the small synthetic set;
training is killed after its first checkpoint and resumed, and the resumed
run's checkpoint is tested and turned into a submission.
"""
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from mmseqformer.testing import REPO_ROOT
from mmseqformer.testing import run_tool as run

CONFIG = 'configs/baselines/mask2former_r18-tiny_1xb2-1200it_synthetic.py'

# Tools run as subprocesses, training included: the slow tier.
pytestmark = pytest.mark.slow


def data_options(root):
    return [
        f'{loader}.dataset.data_root={root}/'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def train_command(root, work_dir, max_iters, *extra):
    return [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
        *extra, '--cfg-options', *data_options(root),
        f'train_cfg.max_iters={max_iters}',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1'
    ]


def wait_for_checkpoint(process, work_dir, name, timeout=600):
    pointer = osp.join(work_dir, 'last_checkpoint')
    deadline = time.time() + timeout
    while time.time() < deadline:
        if osp.isfile(pointer) and open(pointer).read().strip().endswith(name):
            return
        assert process.poll() is None, 'training ended before ' + name
        time.sleep(0.2)
    raise TimeoutError(f'{name} did not appear in {timeout} s')


@pytest.fixture(scope='module')
def resumed_run(synthetic_root, tmp_path_factory):
    """Train 6 iterations, killed (SIGKILL) after the first checkpoint and
    resumed with --resume."""
    work_dir = str(tmp_path_factory.mktemp('train'))
    process = subprocess.Popen(
        train_command(synthetic_root, work_dir, 6),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        wait_for_checkpoint(process, work_dir, 'iter_2.pth')
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_at = open(osp.join(work_dir, 'last_checkpoint')).read().strip()
    log = run(train_command(synthetic_root, work_dir, 6, '--resume'))
    return dict(work_dir=work_dir, killed_at=killed_at, log=log)


def test_killed_training_resumes_where_it_stopped(resumed_run):
    killed_iter = int(
        re.search(r'iter_(\d+)\.pth', resumed_run['killed_at']).group(1))
    assert 2 <= killed_iter < 6
    log = resumed_run['log']
    assert re.search(rf'resumed epoch: \d+, iter: {killed_iter}', log), \
        log[-2000:]
    # The resumed run trained the remaining iterations only, then validated.
    assert f'Iter(train) [{killed_iter + 1}/6]' in log
    assert f'Iter(train) [{killed_iter}/6]' not in log
    assert osp.isfile(osp.join(resumed_run['work_dir'], 'iter_6.pth'))
    assert 'youtube_vis/segm_mAP' in log


def test_test_tool_loads_the_checkpoint_and_prints_ap(resumed_run,
                                                      synthetic_root,
                                                      tmp_path):
    checkpoint = osp.join(resumed_run['work_dir'], 'iter_6.pth')
    output = run([
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(synthetic_root)
    ])
    assert re.search(
        r'YouTube-VIS segm: AP [\d.]+  AP50 [\d.]+  AP75 [\d.]+'
        r'  AR1 [\d.]+  AR10 [\d.]+', output), output[-2000:]


def test_test_tool_amp_runs_the_network_in_bfloat16(resumed_run,
                                                    synthetic_root, tmp_path):
    """``--amp`` reaches the model (``test_cfg.amp``) and still prints AP."""
    checkpoint = osp.join(resumed_run['work_dir'], 'iter_6.pth')
    output = run([
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--amp',
        '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(synthetic_root)
    ])
    assert "'amp': True" in output or 'amp=True' in output, output[-2000:]
    assert re.search(r'YouTube-VIS segm: AP [\d.]+', output), output[-2000:]


def test_format_only_writes_a_submission(resumed_run, synthetic_root,
                                         tmp_path):
    checkpoint = osp.join(resumed_run['work_dir'], 'iter_6.pth')
    out_dir = tmp_path / 'submission'
    run([
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--format-only',
        '--out-dir',
        str(out_dir), '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(synthetic_root)
    ])
    with zipfile.ZipFile(out_dir / 'results.submission_file.zip') as zf:
        results = json.loads(zf.read('results.json'))
    assert results == json.loads((out_dir / 'results.json').read_text())
    with open(osp.join(synthetic_root, 'valid.json')) as f:
        official = json.load(f)
    videos = {video['id']: video for video in official['videos']}
    category_ids = {cat['id'] for cat in official['categories']}
    assert {r['video_id'] for r in results} == set(videos)
    for result in results:
        assert set(result) == {
            'video_id', 'category_id', 'score', 'segmentations'
        }
        assert result['category_id'] in category_ids
        video = videos[result['video_id']]
        assert len(result['segmentations']) == video['length']
        for rle in result['segmentations']:
            assert rle is None or rle['size'] == [
                video['height'], video['width']
            ]


def test_split_without_ground_truth(resumed_run, synthetic_root, tmp_path):
    """Official validation files carry "annotations": null: a submission
    can be written from them; AP cannot, and says why, naming the file."""
    with open(osp.join(synthetic_root, 'valid.json')) as f:
        content = json.load(f)
    content['annotations'] = None
    with open(osp.join(synthetic_root, 'valid_no_gt.json'), 'w') as f:
        json.dump(content, f)
    checkpoint = osp.join(resumed_run['work_dir'], 'iter_6.pth')
    command = [
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(synthetic_root),
        'test_dataloader.dataset.ann_file=valid_no_gt.json'
    ]
    out_dir = tmp_path / 'submission'
    run(command + ['--format-only', '--out-dir', str(out_dir)])
    results = json.loads((out_dir / 'results.json').read_text())
    assert {r['video_id'] for r in results} == \
        {video['id'] for video in content['videos']}
    failed = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert failed.returncode != 0
    assert 'valid_no_gt.json' in failed.stderr + failed.stdout


def test_dist_train_runs_two_processes_on_cpu(synthetic_root, tmp_path):
    work_dir = str(tmp_path / 'dist')
    command = [
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--cfg-options', *data_options(synthetic_root),
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2'
    ]
    output = run(command)
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth')), output[-2000:]
    assert "dist_cfg: {'backend': 'gloo'}" in output
    assert 'Distributed training: True' in output
    # mmengine reports the world size as "GPU number", CPUs included.
    assert 'GPU number: 2' in output

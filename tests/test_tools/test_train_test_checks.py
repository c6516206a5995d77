"""What tools/train.py and tools/test.py check before building a runner,
run in-process (fast): a missing ``load_from``, ``--resume`` on a fresh
work dir, AP asked on a split without ground truth, and whether AP or a
submission is asked at all."""
import json
import os
import os.path as osp
import runpy
import sys

import pytest

from mmseqformer.testing import REPO_ROOT, TINY_CONFIG

R50 = osp.join(REPO_ROOT, 'configs/seqformer_r50.py')
R50_START = 'checkpoints/seqformer_r50_coco-pretrained.pth'


@pytest.fixture
def tool(monkeypatch, tmp_path):
    """Run ``tools/<name>.py`` with arguments, in an empty directory (so
    no ``checkpoints/`` of a checkout is found); returns its globals after
    ``main()`` or the SystemExit it raised."""
    monkeypatch.chdir(tmp_path)
    # load_tool_config sets LOCAL_RANK; keep the test process as it was.
    monkeypatch.delenv('LOCAL_RANK', raising=False)

    def run(name, *argv):
        module = runpy.run_path(osp.join(REPO_ROOT, 'tools', f'{name}.py'))
        monkeypatch.setattr(sys, 'argv', [f'{name}.py', *argv])
        return module

    return run


def test_train_stops_with_one_line_when_load_from_is_missing(tool, tmp_path):
    work_dir = tmp_path / 'work'
    module = tool('train', R50, '--work-dir', str(work_dir))
    with pytest.raises(SystemExit) as info:
        module['main']()
    message = str(info.value.code)
    assert message.startswith('error: the starting weights of ')
    assert R50 in message and repr(R50_START) in message
    # Relative to where the tool runs: the full path says where it looked.
    assert str(tmp_path / R50_START) in message
    assert '\n' not in message
    assert '--cfg-options load_from=None' in message
    assert not work_dir.exists()  # stopped before the runner


def test_train_load_from_none_as_the_message_says_starts_without_it(tool):
    module = tool('train', R50, '--cfg-options', 'load_from=None')
    cfg = module['build_config'](module['parse_args']())
    assert cfg.load_from is None


def test_train_resume_without_checkpoint_starts_from_load_from(tool, tmp_path):
    work_dir = tmp_path / 'work'
    module = tool('train', R50, '--work-dir', str(work_dir), '--resume')
    cfg = module['build_config'](module['parse_args']())
    assert not cfg.get('resume', False) and cfg.load_from == R50_START
    # Once the run has a checkpoint, --resume continues it instead.
    work_dir.mkdir()
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    cfg = module['build_config'](module['parse_args']())
    assert cfg.resume is True and cfg.load_from is None


def test_train_resume_of_a_finished_run_trains_nothing(tool, tmp_path, capsys):
    import torch
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    checkpoint = work_dir / 'iter_5000.pth'
    (work_dir / 'last_checkpoint').write_text(str(checkpoint))
    module = tool('train', TINY_CONFIG, '--work-dir', str(work_dir),
                  '--resume')
    for done, finished in ((4000, False), (5000, True)):
        torch.save(
            dict(meta=dict(iter=done, epoch=0), state_dict={}), checkpoint)
        cfg = module['build_config'](module['parse_args']())
        assert bool(module['finished_run'](cfg)) is finished
    module['main']()  # no runner: it would fail on the empty state dict
    assert capsys.readouterr().out.strip() == (
        f'--resume: {checkpoint} is at iter 5000 of 5000: nothing left to '
        'train')


def test_train_resume_from_a_missing_file_stops(tool, tmp_path):
    missing = str(tmp_path / 'epoch_3.pth')
    module = tool('train', R50, '--resume', missing)
    with pytest.raises(SystemExit, match=missing + ': checkpoint not found'):
        module['build_config'](module['parse_args']())


def test_test_tool_asks_ap_or_a_submission_whatever_the_config_says(
        tool, tmp_path):
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'')
    work_dir = str(tmp_path / 'work')
    # The YouTube-VIS 2019 configs say format_only=True (valid.json has no
    # ground truth): a plain run still means AP.
    module = tool('test', R50, str(checkpoint), '--work-dir', work_dir)
    cfg = module['build_config'](module['parse_args']())
    assert cfg.test_evaluator.format_only is False
    module = tool('test', TINY_CONFIG, str(checkpoint), '--work-dir', work_dir,
                  '--format-only')
    cfg = module['build_config'](module['parse_args']())
    assert cfg.test_evaluator.format_only is True
    assert cfg.test_evaluator.outfile_prefix == osp.join(
        work_dir, 'submission', 'results')


def test_test_tool_refuses_ap_on_a_split_without_ground_truth(
        tool, tmp_path, synthetic_root):
    """The official valid files have "annotations": null. Asked for AP,
    the tool stops with one line naming the file and the --format-only
    command, before writing anything."""
    with open(osp.join(synthetic_root, 'valid.json')) as f:
        content = json.load(f)
    content['annotations'] = None
    ann_file = tmp_path / 'valid_no_gt.json'
    ann_file.write_text(json.dumps(content))
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'')
    work_dir = tmp_path / 'work'
    options = [
        '--work-dir',
        str(work_dir), '--cfg-options',
        f'test_dataloader.dataset.data_root={synthetic_root}/',
        f'test_dataloader.dataset.ann_file={ann_file}'
    ]
    module = tool('test', TINY_CONFIG, str(checkpoint), *options)
    with pytest.raises(SystemExit) as info:
        module['main']()
    message = str(info.value.code)
    assert message.startswith(f'error: {ann_file} has no ground truth')
    assert '\n' not in message
    assert f'tools/test.py {TINY_CONFIG} {checkpoint} --format-only' in \
        message
    assert osp.join(str(work_dir), 'submission', 'results.json') in message
    assert not work_dir.exists()
    # The same split with ground truth passes this check (and then fails
    # on the empty checkpoint file, which is another check's business).
    module = tool('test', TINY_CONFIG, str(checkpoint), *options[:-1])
    with pytest.raises(SystemExit) as info:
        module['main']()
    message = str(info.value.code)
    assert 'has no ground truth' not in message
    assert message.startswith('error: ') and str(checkpoint) in message
    assert set(os.listdir(tmp_path)) == {ann_file.name, checkpoint.name}

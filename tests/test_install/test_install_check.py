"""``import mmseqformer``'s stack check, the torch API shims and the CUDA
ops check."""
import argparse

import pytest
import torch

from mmseqformer.install_check import (MissingCudaOpsError, check_cuda_ops,
                                       check_stack, mmcv_has_cuda_ops,
                                       release_of, stack_problems)
from mmseqformer.utils.torch_compat import is_autocast_enabled


def versions(**overrides):
    """The classic stack's versions, with some replaced (None: absent)."""
    found = dict(
        torch='2.1.2',
        mmcv='2.1.0',
        mmengine='0.10.7',
        mmdet='3.3.0',
        numpy='1.26.4')
    found.update(overrides)
    return {
        name: None if version is None else release_of(version)
        for name, version in found.items()
    }


@pytest.mark.parametrize(
    'overrides',
    [
        {},  # classic
        dict(torch='2.13.0', mmengine='0.11.0rc3', numpy='2.3.5'),  # main
        dict(torch='2.5.1', numpy='2.1.0'),
        # CUDA, source and container builds of torch
        dict(torch='2.1.2+cu121'),
        dict(torch='2.1.0a0+git7bcf7da'),
        dict(torch='2.3.0a0+6ddf5cf', numpy='2.0.1'),
    ],
    ids=[
        'classic', 'main', 'torch-2.5', 'cuda', 'torch-2.1-source',
        'torch-2.3-source-numpy-2'
    ])
def test_tested_stacks_pass(overrides):
    assert stack_problems(versions(**overrides)) == []


@pytest.mark.parametrize(
    'overrides, package, words',
    [
        (dict(torch='2.0.1'), 'torch', 'found 2.0.1'),
        (dict(mmcv='2.2.0'), 'mmcv', 'mim install'),
        (dict(mmcv=None), 'mmcv', 'not installed'),
        (dict(mmdet='3.2.0'), 'mmdet', 'mmdet>=3.3,<3.4'),
        (dict(mmengine='0.9.1'), 'mmengine', 'found 0.9.1'),
        # mmengine 0.10 cannot read its checkpoints under torch 2.6's load
        (dict(torch='2.6.0'), 'mmengine', 'mmengine==0.11.0rc3'),
        (dict(torch='2.6.0a0+ecf3bae40a'), 'mmengine', 'torch 2.6.0'),
        (dict(mmcv='2.2.0rc1'), 'mmcv', 'found 2.2.0'),
        (dict(numpy='2.0.2'), 'numpy', 'numpy<2'),
        (dict(numpy=None), 'numpy', 'not installed'),
    ],
    ids=[
        'old-torch', 'mmcv-2.2', 'no-mmcv', 'old-mmdet', 'old-mmengine',
        'torch-2.6-mmengine-0.10', 'torch-2.6-source-mmengine-0.10',
        'mmcv-2.2-rc', 'numpy-2-torch-2.1', 'no-numpy'
    ])
def test_misfits_name_package_version_and_fix(overrides, package, words):
    problems = stack_problems(versions(**overrides))
    assert len(problems) == 1, problems
    assert problems[0].startswith(package + ' ')
    assert words in problems[0]


def test_installed_stack_passes():
    check_stack()  # the environment the tests run in is a supported one


def test_autocast_query_follows_the_context():
    assert not is_autocast_enabled('cpu')
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert is_autocast_enabled('cpu')
        assert not is_autocast_enabled('cuda')
    assert not is_autocast_enabled('cpu')


def test_cuda_ops_check():
    check_cuda_ops('cpu')
    check_cuda_ops(torch.device('cpu'))
    if mmcv_has_cuda_ops():
        check_cuda_ops('cuda:0')
    else:
        # The CPU build that CI installs: one message naming the fix.
        with pytest.raises(MissingCudaOpsError, match='mim install'):
            check_cuda_ops('cuda:0')
        with pytest.raises(MissingCudaOpsError, match='FORCE_CUDA=1'):
            check_cuda_ops(torch.device('cuda', 0))


@pytest.mark.skipif(mmcv_has_cuda_ops(), reason='mmcv has its CUDA ops')
def test_a_model_for_cuda_is_refused_before_any_work(tmp_path, monkeypatch):
    """Without mmcv's CUDA kernels, the API and the tools stop at once with
    the fix, before reading weights or building a runner."""
    from mmseqformer.apis import init_vis_model
    from mmseqformer.utils import load_tool_config
    from mmseqformer.utils.tool_config import add_common_arguments
    missing = str(tmp_path / 'never_read.pth')
    with pytest.raises(MissingCudaOpsError, match='mim install'):
        init_vis_model('seqformer_r50', missing, device='cuda:0')
    # The tools: the runner would put the model on the machine's GPU.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    add_common_arguments(parser)
    with pytest.raises(SystemExit, match='^error: mmcv was compiled without'):
        load_tool_config(parser.parse_args(['seqformer_r50']))

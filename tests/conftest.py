"""Shared fixtures: a small synthetic dataset made once per test session."""
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
from mmengine.registry import init_default_scope

from mmseqformer.datasets.synthetic import SyntheticVISSpec, make_synthetic_vis

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: Small enough for tests, large enough to hold every case of the generator.
SMALL_SPEC = SyntheticVISSpec(
    seed=2,
    num_train_videos=8,
    num_valid_videos=5,
    max_frames=6,
    max_objects=3)


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory) -> str:
    """Root folder of a small synthetic dataset (both layouts)."""
    root = str(tmp_path_factory.mktemp('data') / 'synthetic_vis')
    make_synthetic_vis(root, SMALL_SPEC)
    return root


@pytest.fixture(autouse=True)
def mmdet_default_scope():
    """Build transforms, datasets and metrics from mmdet's registries, as a
    Runner with mmdet's default runtime does (again before every test: a
    Runner built by a test switches the scope)."""
    init_default_scope('mmdet')


def run_tool(command, timeout=900) -> str:
    """Run a tool from the repository root as a user would; fail the test
    with its output if it fails. Returns stdout + stderr."""
    # PYTHON: the shell launchers must use this interpreter (the venv's).
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable)
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env)
    assert result.returncode == 0, result.stdout[-3000:] + \
        result.stderr[-3000:]
    return result.stdout + result.stderr


def kill_when_ready(command, what: str) -> None:
    """Start ``command`` (from the repository root), wait until it prints a
    line starting with ``READY`` (an instrumented process about to do
    ``what``), then SIGKILL it: no handler, no cleanup, as a crash or an
    out-of-memory kill."""
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        # Logs may come first; EOF if the process ends without hanging.
        for line in process.stdout:
            if line.startswith('READY'):
                break
        else:
            raise AssertionError(f'the process never reached {what}')
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


#: The ``make demo`` model's config (ResNet-18 at 1/4 width): fast on a CPU.
TINY_CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-4000it_synthetic.py'


def noisy_tiny_vis_model(noise: float = 0.05, seed: int = 0):
    """The tiny SeqFormer as :func:`init_vis_model` builds it, every weight
    perturbed by Gaussian noise so that its masks are large and varied (the
    official initialisation zeroes some layers)."""
    import torch
    from mmengine.config import Config

    from mmseqformer.apis import init_vis_model
    torch.manual_seed(seed)
    model = init_vis_model(Config.fromfile(osp.join(REPO_ROOT, TINY_CONFIG)))
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * noise)
    return model


def perturbed_tiny_seqformer(noise: float = 0.02):
    """The tiny SeqFormer of :func:`tiny_seqformer_cfg` (seed 0), every
    weight perturbed by Gaussian noise: the official initialisation zeroes
    some layers (sampling offsets, box heads), which would leave paths
    without values or gradients."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from mmseqformer.testing import tiny_seqformer_cfg
    init_default_scope('mmdet')  # module fixtures run before the autouse one
    torch.manual_seed(0)
    model = MODELS.build(tiny_seqformer_cfg())
    model.init_weights()
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * noise)
    return model


def run_analysis_tool_module(name: str) -> dict:
    """The globals of ``tools/analysis_tools/<name>`` run as a module, with
    its directory importable (its shared benchmark modules)."""
    import runpy
    tools = osp.join(REPO_ROOT, 'tools', 'analysis_tools')
    sys.path.insert(0, tools)
    try:
        return runpy.run_path(osp.join(tools, name))
    finally:
        sys.path.remove(tools)


def markdown_table_rows(markdown: str) -> list:
    """The cells of a markdown table's body rows."""
    lines = [line for line in markdown.splitlines() if line.startswith('|')]
    return [[cell.strip() for cell in line.strip('|').split('|')]
            for line in lines[2:]]

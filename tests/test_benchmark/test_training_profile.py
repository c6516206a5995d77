"""mmseqformer.benchmark.training_profile: a training iteration of the tiny
config split into its parts, and ``benchmark.py train-profile``."""
import subprocess
import sys

import pytest

from mmseqformer.benchmark.training_profile import (PARTS, parts_of,
                                                    profile_training)
from mmseqformer.testing import REPO_ROOT, markdown_table_rows

TINY_CONFIG = 'configs/seqformer/seqformer_r18-tiny_1xb2-5000it_synthetic.py'
BENCHMARK = 'tools/analysis_tools/benchmark.py'


def test_a_part_is_its_methods_less_the_timed_methods_they_call():
    totals = {
        'head loss': 10.0,
        'head forward': 2.0,
        'mask branch': 1.0,
        'dynamic mask head': 0.5,
        'match': 1.5,
        'backbone': 3.0,
        'neck': 1.0,
        'step': 4.0,
        'clip': 1.0,
        'zero_grad': 0.25,
    }
    parts = parts_of(totals)
    assert list(parts) == list(PARTS)
    assert parts['losses'] == 5.0
    assert parts['mask head'] == 1.5
    assert parts['backbone+neck'] == 4.0
    assert parts['optimizer step'] == 3.25
    assert parts['gradient clipping'] == 1.0
    assert parts['data'] == 0.0  # not timed: nothing


def test_two_iterations_of_the_tiny_config_split_into_parts(synthetic_root):
    result = profile_training(
        TINY_CONFIG, iters=2, warmup=1, data_root=synthetic_root, ops=3)
    parts, total = result['parts'], result['total']
    assert list(parts) == list(PARTS) + ['other']
    # Every timer fired (the tiny config clips its gradients).
    assert all(parts[part] > 0 for part in PARTS), parts
    # Timed intervals nest inside the iteration: their sum stays within
    # the total (``other`` is the rest, >= 0 up to rounding).
    assert parts['other'] >= -1e-9
    assert sum(parts[part] for part in PARTS) <= total + 1e-9
    assert sum(parts.values()) == pytest.approx(total)
    assert len(result['iterations']) == 2
    for iteration in result['iterations']:
        assert sum(iteration[part]
                   for part in PARTS) <= iteration['total'] + 1e-9
    assert result['batch_size'] == 2
    rows = markdown_table_rows(result['table'])
    assert [row[0] for row in rows] == list(parts) + ['total']
    assert len(markdown_table_rows(result['operators'])) == 3
    assert 'ms / iteration' in result['operators']


def benchmark(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, BENCHMARK, *arguments],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=600)


@pytest.mark.slow
def test_train_profile_command(synthetic_root, tmp_path):
    result = benchmark('train-profile', '--iters', '1', '--warmup', '0',
                       '--threads', '1', '--data-root', synthetic_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ' s/iter ' in result.stdout
    rows = markdown_table_rows(result.stdout)
    assert [row[0] for row in rows] == list(PARTS) + ['other', 'total']
    missing = benchmark('train-profile', '--data-root', str(tmp_path / 'none'))
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        f'error: {tmp_path / "none"}/annotations/synthetic_vis_train.json: '
        'no such annotation file')

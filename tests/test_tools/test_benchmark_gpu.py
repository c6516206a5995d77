"""tools/analysis_tools/benchmark_gpu.py: its CI-sized run on the CPU, and
the table logic (plans, projections, failed and skipped rows)."""
import json
import re
import sys

import pytest

from tests.conftest import (markdown_table_rows, run_analysis_tool_module)
from tests.conftest import run_tool as run

NUMBER = r'\d+(\.\d+)?'


@pytest.fixture(scope='module')
def tool():
    return run_analysis_tool_module('benchmark_gpu.py')


table_rows = markdown_table_rows


@pytest.mark.slow
def test_smoke_run_on_cpu_fills_the_table(tmp_path):
    out = tmp_path / 'benchmark.json'
    printed = run([
        sys.executable, 'tools/analysis_tools/benchmark_gpu.py', '--device',
        'cpu', '--smoke', '--peer', '--out',
        str(out)
    ])
    result = json.loads(out.read_text())
    assert result['markdown'] in printed
    machine = result['machine']
    assert machine['torch'] and machine['mmcv'] and machine['date']
    rows = result['rows']
    # Ours: 1 length x (whole, streaming) x (fp32, AMP) + training x 2;
    # the peer: whole-video inference x 2.
    assert [(r['code'], r['task'], r['mode'], r['precision'])
            for r in rows] == [('ours', 'inference', 'whole', 'fp32'),
                               ('ours', 'inference', 'whole', 'amp'),
                               ('ours', 'inference', 'streaming', 'fp32'),
                               ('ours', 'inference', 'streaming', 'amp'),
                               ('ours', 'training', 'train step', 'fp32'),
                               ('ours', 'training', 'train step', 'amp'),
                               ('mask2former', 'inference', 'whole', 'fp32'),
                               ('mask2former', 'inference', 'whole', 'amp')]
    for row in rows:
        assert 'error' not in row and 'skipped' not in row, row
        assert row['peak_gb'] > 0.1 and row['seconds']
        if row['task'] == 'inference':
            assert row['fps'] == pytest.approx(2 / row['seconds'][0])
        else:
            assert row['it_per_s'] > 0 and abs(row['loss']) < 1e4
    cells = table_rows(result['markdown'])
    assert len(cells) == len(rows) + 1  # and the paper's row
    for row, line in zip(rows, cells):
        speed = line[5] if row['task'] == 'inference' else line[6]
        assert re.fullmatch(NUMBER, speed), line
        assert re.fullmatch(NUMBER, line[7]) and line[8] == '1', line
        assert line[4] == ('fp32'
                           if row['precision'] == 'fp32' else 'AMP bf16')
    assert cells[-1][5] == '72.3'
    assert 'torch ' + machine['torch'] in result['markdown']


def test_official_code_has_whole_video_rows_only(tool):
    settings = dict(
        modes=['whole', 'streaming'],
        tasks=['inference', 'training'],
        frames=[5, 36],
        precisions=['fp32', 'amp'])
    ours = tool['planned_runs'](settings, 'ours')
    official = tool['planned_runs'](settings, 'official')
    assert len(ours) == 2 * 2 * 2 + 2
    assert {r['mode'] for r in official if r['task'] == 'inference'} == \
        {'whole'}
    assert len(official) == 2 * 2 + 2
    peer = tool['planned_runs'](settings, 'mask2former')
    assert [(r['task'], r['mode'])
            for r in peer] == [('inference', 'whole')] * 4
    # Shorter videos first: whole-video memory is projected from them.
    assert [r['frames'] for r in ours[:8]] == [5] * 4 + [36] * 4


def test_whole_video_memory_is_projected_from_the_same_kind_of_run(tool):
    done = [
        dict(
            task='inference',
            mode='whole',
            precision='fp32',
            frames=5,
            peak_gb=1.0),
        dict(
            task='inference',
            mode='streaming',
            precision='fp32',
            frames=5,
            peak_gb=9.0),
        dict(
            task='inference',
            mode='whole',
            precision='amp',
            frames=36,
            peak_gb=9.0),
        dict(
            task='inference',
            mode='whole',
            precision='fp32',
            frames=36,
            peak_gb=4.1),
        dict(
            task='inference',
            mode='whole',
            precision='fp32',
            frames=100,
            error='OutOfMemoryError'),
    ]
    run = dict(mode='whole', precision='fp32', frames=1000)
    # 1.0 GB at 5 frames, 4.1 at 36: 0.1 GB per frame.
    assert tool['projected_gb'](done, run) == pytest.approx(100.5)
    assert tool['projected_gb'](done[:1], run) == 0.0


def test_failed_and_skipped_rows_keep_the_table_intact(tool):
    settings = dict(device='cuda', chunk_size=36)
    failed = dict(
        code='official',
        task='inference',
        mode='whole',
        frames=1000,
        precision='amp',
        error='RuntimeError: a | b')
    skipped = dict(failed, skipped='~95 GB projected (> 70)')
    del skipped['error']
    for row in (failed, skipped):
        cells = tool['table_row'](row, settings).strip('|').split('|')
        assert len(cells) == 9 and cells[4].strip() == 'AMP fp16'
    assert 'failed: RuntimeError: a / b' in tool['table_row'](failed, settings)
    assert 'skipped: ~95 GB' in tool['table_row'](skipped, settings)

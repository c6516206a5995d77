"""``benchmark.py gpu`` through ``benchmark_gpu.sh``: its CI-sized run on
the CPU fills the table; the CPU speed commands at a tiny size (the
library: tests/test_benchmark)."""
import json
import re
import sys

import pytest

from mmseqformer.benchmark.flop_count import is_arithmetic
from mmseqformer.testing import TINY_CONFIG, markdown_table_rows
from mmseqformer.testing import run_tool as run

NUMBER = r'\d+(\.\d+)?'


@pytest.mark.slow
def test_smoke_run_on_cpu_fills_the_table(tmp_path):
    out = tmp_path / 'benchmark.json'
    printed = run([
        'bash', 'tools/analysis_tools/benchmark_gpu.sh', '--device', 'cpu',
        '--smoke', '--peer', '--profile', '--out',
        str(out)
    ])
    result = json.loads(out.read_text())
    assert result['markdown'] in printed
    # --profile: the profile of the tiny model's 2 frames follows the table.
    table, profile = result['markdown'].split('\n\nconfigs/', 1)
    assert 'on cpu, 2 frames of 96x64' in profile
    assert '| convolutions |' in profile
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
    cells = markdown_table_rows(table)
    assert len(cells) == len(rows) + 1  # and the paper's row
    for row, line in zip(rows, cells):
        speed = line[5] if row['task'] == 'inference' else line[6]
        assert re.fullmatch(NUMBER, speed), line
        assert re.fullmatch(NUMBER, line[7]) and line[8] == '1', line
        assert line[4] == ('fp32'
                           if row['precision'] == 'fp32' else 'AMP bf16')
    assert cells[-1][5] == '72.3'
    assert 'torch ' + machine['torch'] in table


@pytest.mark.slow
def test_inference_and_profile_commands_at_a_tiny_size():
    tiny = ['--config', TINY_CONFIG, '--size', '64', '96']
    printed = run([
        sys.executable, 'tools/analysis_tools/benchmark.py', 'inference',
        *tiny, '--frames', '2', '--modes', 'streaming', '--chunk-size', '1'
    ])
    [row] = markdown_table_rows(printed)
    assert row[:2] == ['streaming', '2'] and all(
        re.fullmatch(NUMBER, cell) for cell in row[2:]), row
    floor = re.search(r'at this rate the floor is (\S+) s per frame', printed)
    assert floor and re.search(r'streaming, 2 frames: \S+x the floor', printed)
    printed = run([
        sys.executable, 'tools/analysis_tools/benchmark.py', 'profile', *tiny,
        '--frames', '2', '--chunk-size', '1', '--ops', '3'
    ])
    stages = [row[0] for row in markdown_table_rows(printed.split('\n\n')[0])]
    assert stages[0] == 'backbone' and stages[-1] == 'other'
    kinds = [row[0] for row in markdown_table_rows(printed.split('\n\n')[1])]
    assert kinds == [
        'convolutions', 'matrix products', 'everything else', 'total'
    ]
    others = markdown_table_rows(printed.split('\n\n')[2])
    assert others and all(
        float(row[3].rstrip('%')) >= 2.0 and not is_arithmetic(row[0])
        for row in others), others
    assert len(markdown_table_rows(printed.split('\n\n')[-1])) == 3

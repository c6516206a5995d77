"""mmseqformer.benchmark.mode_memory: the table from given rows, and the
offline mode refused."""
import pytest

from mmseqformer.benchmark.mode_memory import check_causal, conditions, table
from mmseqformer.testing import markdown_table_rows


def row(peak_gb, model_gb=0.4, s_per_frame=0.01, **extra):
    return dict(
        peak_gb=peak_gb,
        model_gb=model_gb,
        s_per_frame=s_per_frame,
        threads=1,
        **extra)


SETTINGS = dict(
    frames=[200, 2000],
    modes=['online', 'clips:5'],
    device='cpu',
    config='c.py',
    size=[96, 128],
    no_malloc_tuning=False)


def test_peak_growth_and_ratio_per_mode():
    rows = {
        ('online', 200): row(0.5),
        ('online', 2000): row(0.501),
        ('clips:5', 200): row(0.6),
        ('clips:5', 2000): dict(error='Traceback\nMemoryError: m'),
    }
    cells = markdown_table_rows(table(SETTINGS, rows))
    # peak, growth (MB over the model), s/frame at each length, ratio.
    assert cells[0] == [
        'online', '0.500', '102', '0.0100', '0.501', '103', '0.0100', '1.002'
    ]
    assert cells[1] == [
        'clips:5', '0.600', '205', '0.0100', 'failed: MemoryError: m', '', '',
        'n/a'
    ]
    assert conditions(SETTINGS, rows).startswith(
        '`c.py`, random weights, 96 x 128 frames, device cpu, torch '
        'threads 1, malloc tuned.')


def test_gpu_runs_add_a_column_per_length():
    rows = {(mode, frames): row(0.5, peak_gpu_gb=0.25)
            for mode in SETTINGS['modes'] for frames in SETTINGS['frames']}
    cells = markdown_table_rows(table(dict(SETTINGS, device='cuda'), rows))
    assert cells[0][4] == '0.250' and len(cells[0]) == 10


def test_offline_is_refused():
    check_causal(['online', 'window:8'])
    with pytest.raises(ValueError, match='offline keeps per-frame'):
        check_causal(['online', 'offline:none'])

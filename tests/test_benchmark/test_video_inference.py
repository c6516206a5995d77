"""mmseqformer.benchmark.video_inference: its table, speed-ups and floor
lines from given rows."""
from mmseqformer.benchmark.video_inference import floor_lines, speedups, table
from mmseqformer.testing import markdown_table_rows

ROWS = [
    dict(
        mode='streaming',
        frames=10,
        s_per_frame=1.0,
        peak_gb=1.5,
        model_gb=0.6,
        runs=[1.1, 1.0]),
    dict(
        mode='official',
        frames=10,
        s_per_frame=4.0,
        peak_gb=2.5,
        model_gb=0.7,
        runs=[4.0, 4.1]),
    dict(mode='whole', frames=1000, skipped=127.04),
    dict(mode='streaming', frames=1000, error='Traceback\nMemoryError: x\n'),
]


def test_floor_lines():
    assert floor_lines(ROWS[:3], 100.0, 200.0) == [
        'arithmetic: 100.0 GFLOP per frame; at this rate the floor is 0.50 '
        's per frame', 'streaming, 10 frames: 2.00x the floor'
    ]


def test_official_speed_up_over_each_of_our_modes():
    assert speedups(ROWS) == ['official / streaming, 10 frames: 4.00x']


def test_table_cells_of_timed_skipped_and_failed_rows():
    cells = markdown_table_rows(table(ROWS, repeats=2))
    assert cells == [
        ['streaming', '10', '1.00', '1.50', '0.60', '1.1 1.0'],
        ['official', '10', '4.00', '2.50', '0.70', '4.0 4.1'],
        ['whole', '1000', 'skipped', '~127.0 projected', '', ''],
        ['streaming', '1000', 'failed: MemoryError: x', '', '', ''],
    ]
    # One run per row: no runs column.
    assert len(markdown_table_rows(table(ROWS, repeats=1))[0]) == 5

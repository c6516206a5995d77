"""mmseqformer.benchmark.gpu_benchmark and gpu_report: plans, projections,
failed and skipped rows."""
import pytest

from mmseqformer.benchmark.gpu_benchmark import (default_settings,
                                                 planned_runs,
                                                 projected_whole_video_gb)
from mmseqformer.benchmark.gpu_report import markdown, table_cells


def test_official_code_has_whole_video_rows_only():
    settings = dict(
        modes=['whole', 'streaming'],
        tasks=['inference', 'training'],
        frames=[5, 36],
        precisions=['fp32', 'amp'])
    ours = planned_runs(settings, 'ours')
    official = planned_runs(settings, 'official')
    assert len(ours) == 2 * 2 * 2 + 2
    assert {r['mode'] for r in official if r['task'] == 'inference'} == \
        {'whole'}
    assert len(official) == 2 * 2 + 2
    peer = planned_runs(settings, 'mask2former')
    assert [(r['task'], r['mode'])
            for r in peer] == [('inference', 'whole')] * 4
    # Shorter videos first: whole-video memory is projected from them.
    assert [r['frames'] for r in ours[:8]] == [5] * 4 + [36] * 4


def test_whole_video_memory_is_projected_from_the_same_kind_of_run():

    def row(mode, precision, frames, **result):
        return dict(
            task='inference',
            mode=mode,
            precision=precision,
            frames=frames,
            **result)

    done = [
        row('whole', 'fp32', 5, peak_gb=1.0),
        row('streaming', 'fp32', 5, peak_gb=9.0),
        row('whole', 'amp', 36, peak_gb=9.0),
        row('whole', 'fp32', 36, peak_gb=4.1),
        row('whole', 'fp32', 100, error='OutOfMemoryError'),
    ]
    run = dict(mode='whole', precision='fp32', frames=1000)
    # 1.0 GB at 5 frames, 4.1 at 36: 0.1 GB per frame.
    assert projected_whole_video_gb(done, run) == pytest.approx(100.5)
    assert projected_whole_video_gb(done[:1], run) == 0.0


def test_failed_and_skipped_rows_keep_the_table_intact():
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
        cells = table_cells(row, settings)
        assert len(cells) == 9 and cells[4] == 'AMP fp16'
    assert table_cells(failed, settings)[5] == 'failed: RuntimeError: a / b'
    assert table_cells(skipped, settings)[5] == 'skipped: ~95 GB projected ' \
        '(> 70)'
    timed = dict(failed, fps=12.345, seconds=[0.1, 0.2], peak_gb=1.234)
    del timed['error']
    settings = dict(
        settings,
        device='cpu',
        size=[360, 640],
        train_size=[416, 739],
        official_root=None,
        config='c.py',
        peer=False,
        repeats=3,
        warmup_frames=36,
        train_iters=10,
        warmup_iters=3)
    machine = dict(
        date='today',
        cpu='x',
        cpu_threads=2,
        torch='2',
        mmcv='2.1',
        mmengine='0.11',
        mmdet='3.3',
        python='3.11')
    lines = markdown(settings, machine, [timed]).splitlines()
    assert lines[-2] == ('| official | inference | whole | 1000 | AMP bf16 | '
                         '12.3 |  | 1.23 | 2 |')
    assert lines[-1].startswith('| SeqFormer paper (R50, V100-class GPU) |')
    assert lines[-4].endswith('| peak RSS (GB) | timed runs |')


def test_smoke_settings_replace_the_full_ones():
    full, smoke = default_settings('cuda:1',
                                   False), default_settings('cpu', True)
    assert full['chunk_size'] == 36 and full['frames'] == [5, 36, 100, 1000]
    assert smoke['chunk_size'] == 2 and smoke['frames'] == [2]
    assert default_settings('cpu', False)['chunk_size'] == 4

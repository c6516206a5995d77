"""The table of :mod:`.gpu_benchmark`: markdown and JSON."""
import json
from typing import List

from .markdown import markdown_table
from .training_step import TRAIN_CLIPS, TRAIN_FRAMES

#: The SeqFormer paper's inference speed for R50 on a V100-class GPU.
PAPER_FPS = 72.3


def is_cuda(device: str) -> bool:
    return device.split(':')[0] == 'cuda'


def precision_name(precision: str, device: str) -> str:
    if precision == 'fp32':
        return 'fp32'
    return 'AMP fp16' if is_cuda(device) else 'AMP bf16'


def summary(row: dict) -> str:
    """One line per row, for the progress log."""
    what = (f'{row["code"]} {row["task"]} {row["mode"]} {row["frames"]} '
            f'{row["precision"]}')
    return f'{what}: {speed_cell(row)}'


def speed_cell(row: dict) -> str:
    if 'error' in row:
        return f'failed: {row["error"]}'
    if 'skipped' in row:
        return f'skipped: {row["skipped"]}'
    if row['task'] == 'inference':
        return f'{row["fps"]:.1f} FPS'
    return f'{row["it_per_s"]:.2f} it/s'


def markdown(settings: dict, machine: dict, rows: list) -> str:
    """The whole report: conditions, then one table row per measured row
    and the paper's."""
    device = settings['device']
    height, width = settings['size']
    train_h, train_w = settings['train_size']
    cuda = is_cuda(device)
    memory = 'peak GPU memory (GB)' if cuda else 'peak RSS (GB)'
    official = settings['official_root']
    official = f'`{official}`' if official else 'not run (--official-root)'
    amp = 'float16 (with loss scaling)' if cuda else 'bfloat16'
    counter = 'torch.cuda.max_memory_allocated' if cuda else 'VmHWM'
    lines = [
        f'## SeqFormer speed and memory ({machine["date"]})', '',
        f'- machine: {hardware(machine)}', f'- software: {software(machine)}',
        f'- model: `{settings["config"]}` (random weights); official code: '
        f'{official}; peer: ' +
        (f'`{settings["peer_config"]}` (random weights)'
         if settings['peer'] else 'not run (--peer)'),
        f'- inference: {width}x{height} frames, BGR in, RLE masks out; '
        f'streaming chunk {settings["chunk_size"]}; median of up to '
        f'{settings["repeats"]} videos after a warm-up on '
        f'{settings["warmup_frames"]} frames',
        f'- training: {TRAIN_CLIPS} clips x {TRAIN_FRAMES} frames of '
        f'{train_w}x{train_h}, 3 instances per clip, AdamW + gradient '
        f'clipping 0.1; median of {settings["train_iters"]} steps after '
        f'{settings["warmup_iters"]}',
        f'- AMP: torch.autocast {amp}; {memory}: {counter} over the timed '
        'part',
        f'- reference: the SeqFormer paper reports {PAPER_FPS} FPS for R50 '
        'on a V100-class GPU (compare with the whole-video rows; '
        'YouTube-VIS videos are up to a few dozen frames long)', '',
        markdown_table([
            'code', 'task', 'mode', 'frames', 'precision', 'FPS', 'it/s',
            memory, 'timed runs'
        ], [table_cells(row, settings) for row in rows] + [[
            'SeqFormer paper (R50, V100-class GPU)', 'inference', 'whole',
            'YouTube-VIS', 'as reported',
            str(PAPER_FPS), '', '', ''
        ]])
    ]
    return '\n'.join(lines) + '\n'


def table_cells(row: dict, settings: dict) -> List[str]:
    """The cells of one row; a failed or skipped run says why in the FPS
    cell (``|`` in the message made ``/``, so the table keeps its
    columns)."""
    mode = row['mode']
    if mode == 'streaming':
        mode = f'streaming (chunk {settings["chunk_size"]})'
    elif row['task'] == 'training':
        mode = f'{TRAIN_CLIPS} clips x {TRAIN_FRAMES} frames'
    fps = it_per_s = peak = runs = ''
    if 'error' in row or 'skipped' in row:
        fps = speed_cell(row).replace('|', '/')
    else:
        if row['task'] == 'inference':
            fps = f'{row["fps"]:.1f}'
        else:
            it_per_s = f'{row["it_per_s"]:.2f}'
        peak, runs = f'{row["peak_gb"]:.2f}', str(len(row['seconds']))
    precision = precision_name(row['precision'], settings['device'])
    return [
        row['code'], row['task'], mode,
        str(row['frames']), precision, fps, it_per_s, peak, runs
    ]


def hardware(machine: dict) -> str:
    cpu = f'CPU {machine["cpu"]} ({machine["cpu_threads"]} threads)'
    if 'gpu' in machine:
        return f'GPU {machine["gpu"]} ({machine["gpu_memory_gb"]} GB), {cpu}'
    return cpu


def software(machine: dict) -> str:
    parts = [f'torch {machine["torch"]}']
    if machine.get('cuda'):
        parts[0] += f' (CUDA {machine["cuda"]}, cuDNN {machine["cudnn"]})'
    parts += [
        f'{name} {machine[name]}' for name in ('mmcv', 'mmengine', 'mmdet')
    ]
    return ', '.join(parts) + f', Python {machine["python"]}'


def write_report(path: str, settings: dict, machine: dict, rows: list,
                 text: str) -> None:
    """``text`` (``.md``) or everything as JSON (any other name)."""
    with open(path, 'w') as file:
        if path.endswith('.md'):
            file.write(text)
            return
        json.dump(
            dict(
                machine=machine,
                settings=settings,
                reference=dict(
                    paper_fps=PAPER_FPS,
                    what='SeqFormer paper, R50, V100-class GPU'),
                rows=rows,
                markdown=text),
            file,
            indent=1)

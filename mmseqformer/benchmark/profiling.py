"""Where the time of SeqFormer's video inference goes, per stage of the
network and per operator (``tools/analysis_tools/benchmark.py profile``).

:func:`inference_vis` (streaming chunks) runs once to warm up, then once
with wall-clock hooks around the stages (:func:`stages`), then once under
``torch.profiler`` for the operators with their input shapes. Stages nest:
the encoder's deformable attention and FFN are inside ``encoder``;
``other`` is what no top-level stage covers (preprocessing, the instance
path, masks and their RLE encoding).

The timers (:func:`timed`) and the operator table serve
:mod:`.training_profile` too.
"""
import functools
import time
from collections import defaultdict
from typing import Callable, Dict

import torch

from .markdown import markdown_table
from .timing import synchronize

#: The stages that do not nest in one another; ``other`` is the rest.
TOP_LEVEL = ('backbone', 'neck', 'encoder', 'decoder box path',
             'mask features')


def stages(model: torch.nn.Module) -> dict:
    """Stage name -> (owner, method) timed around each call."""
    encoder_layer = model.encoder.layers[0]
    return {
        'backbone': (model.backbone, 'forward'),
        'neck': (model.neck, 'forward'),
        'encoder': (model.encoder, 'forward'),
        'encoder attention': (type(encoder_layer.self_attn), 'forward'),
        'encoder FFN': (type(encoder_layer.ffn), 'forward'),
        'decoder box path': (model.track_head, 'box_path'),
        'mask features': (model.track_head, 'mask_features'),
    }


def timed(owner,
          name: str,
          label: str,
          totals: dict,
          device: str = 'cpu') -> None:
    """Wrap ``owner.name`` so that its wall time adds to ``totals[label]``
    (a ``defaultdict(float)``; several methods may share a label). A CUDA
    ``device`` is synchronised at both ends, so that queued GPU work counts
    where it was queued."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        synchronize(device)
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            synchronize(device)
            totals[label] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def stage_seconds(model: torch.nn.Module,
                  run: Callable[[], None]) -> Dict[str, float]:
    """Seconds of each stage in one call of ``run`` (warm it up first),
    ``other`` and ``total``. The hooks stay on ``model``."""
    totals = defaultdict(float)
    for label, (owner, name) in stages(model).items():
        timed(owner, name, label, totals)
    start = time.perf_counter()
    run()
    totals['total'] = time.perf_counter() - start
    totals['other'] = totals['total'] - sum(totals[label]
                                            for label in TOP_LEVEL)
    return dict(totals)


def stage_table(model: torch.nn.Module, totals: Dict[str, float],
                frames: int) -> str:
    return markdown_table(['stage', 's / frame', 'share'], [[
        label, f'{totals[label] / frames:.3f}',
        f'{totals[label] / totals["total"]:.0%}'
    ] for label in list(stages(model)) + ['other']])


def operator_table(run: Callable[[], None],
                   frames: int,
                   ops: int,
                   unit: str = 'frame') -> str:
    """The ``ops`` costliest operators of one call of ``run`` (self CPU
    time, grouped by input shapes), in ms per ``unit``: the call holds
    ``frames`` of them."""
    with torch.profiler.profile(record_shapes=True) as profiler:
        run()
    events = sorted(
        profiler.key_averages(group_by_input_shape=True),
        key=lambda event: -event.self_cpu_time_total)
    profiled = sum(event.self_cpu_time_total for event in events)
    rows = []
    for event in events[:ops]:
        shapes = str(event.input_shapes).replace('|', '/')
        rows.append([
            event.key, shapes[:80],
            str(event.count),
            f'{event.self_cpu_time_total / 1e3 / frames:.1f}',
            f'{event.self_cpu_time_total / profiled:.1%}'
        ])
    return markdown_table(
        ['operator', 'input shapes', 'calls', f'ms / {unit}', 'share'], rows)


def profile(settings: dict) -> str:
    """The whole report for ``config`` on a ``frames``-frame video."""
    from mmseqformer.apis import inference_vis, init_vis_model
    from mmseqformer.utils import find_config, tune_glibc_malloc
    from .pattern_video import PatternVideo
    tune_glibc_malloc()
    model = init_vis_model(find_config(settings['config']))
    frames, (height, width) = settings['frames'], settings['size']

    def run() -> None:
        inference_vis(
            model,
            PatternVideo(frames, height, width),
            chunk_size=settings['chunk_size'])

    run()  # warm-up: first-call costs (oneDNN primitives, allocator)
    totals = stage_seconds(model, run)
    return '\n'.join([
        f'{settings["config"]}, {frames} frames of {width}x{height}, chunks '
        f'of {settings["chunk_size"]}, {torch.get_num_threads()} threads: '
        f'{totals["total"] / frames:.3f} s/frame',
        stage_table(model, totals, frames), '',
        operator_table(run, frames, settings['ops'])
    ])

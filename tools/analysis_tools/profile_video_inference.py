"""Where the time of SeqFormer's video inference goes, per module and per
operator.

    python tools/analysis_tools/profile_video_inference.py \\
        [--config configs/seqformer_r50.py] [--frames 8] [--size 360 640] \\
        [--chunk-size 4] [--ops 25]

Runs :func:`inference_vis` (streaming chunks, allocator tuned as the demo
does) once to warm up, then once timed with wall-clock hooks around the
stages of the network, then once under ``torch.profiler`` for the
operators (with their input shapes). Prints seconds per frame by stage
(stages nest: the encoder's deformable attention and FFN are inside
``encoder``; ``other`` is what no stage covers: preprocessing, the instance
path, masks and their RLE encoding) and the costliest operators.
"""
import argparse
import functools
import os.path as osp
import sys
import time
from collections import defaultdict

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# The shared benchmark modules beside this script (also under runpy).
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import torch  # noqa: E402
from pattern_video import PatternVideo  # noqa: E402

from mmseqformer.apis import inference_vis, init_vis_model  # noqa: E402
from mmseqformer.utils import tune_glibc_malloc  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/seqformer_r50.py')
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument(
        '--size', type=int, nargs=2, default=[360, 640], metavar=('H', 'W'))
    parser.add_argument('--chunk-size', type=int, default=4)
    parser.add_argument(
        '--ops', type=int, default=25, help='operators to list')
    args = parser.parse_args()
    if not osp.isfile(osp.join(REPO, args.config)):
        parser.error(f'--config: no such file: {args.config}')
    return args


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


def timed(owner, name: str, label: str, totals: dict) -> None:
    """Wrap ``owner.name`` so that its wall time adds to ``totals``."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def main() -> None:
    args = parse_args()
    tune_glibc_malloc()
    model = init_vis_model(osp.join(REPO, args.config))

    def run() -> None:
        inference_vis(
            model,
            PatternVideo(args.frames, *args.size),
            chunk_size=args.chunk_size)

    run()  # warm-up: first-call costs (oneDNN primitives, allocator)
    totals = defaultdict(float)
    for label, (owner, name) in stages(model).items():
        timed(owner, name, label, totals)
    start = time.perf_counter()
    run()
    total = time.perf_counter() - start
    frames = args.frames
    top_level = ('backbone', 'neck', 'encoder', 'decoder box path',
                 'mask features')
    totals['other'] = total - sum(totals[label] for label in top_level)
    print(f'{args.config}, {args.frames} frames of {args.size[1]}x'
          f'{args.size[0]}, chunks of {args.chunk_size}, '
          f'{torch.get_num_threads()} threads: {total / frames:.3f} s/frame')
    print('| stage | s / frame | share |')
    print('| --- | --- | --- |')
    for label in list(stages(model)) + ['other']:
        print(f'| {label} | {totals[label] / frames:.3f} | '
              f'{totals[label] / total:.0%} |')
    with torch.profiler.profile(record_shapes=True) as profiler:
        run()
    events = sorted(
        profiler.key_averages(group_by_input_shape=True),
        key=lambda event: -event.self_cpu_time_total)
    profiled = sum(event.self_cpu_time_total for event in events)
    print('\n| operator | input shapes | calls | ms / frame | share |')
    print('| --- | --- | --- | --- | --- |')
    for event in events[:args.ops]:
        shapes = str(event.input_shapes).replace('|', '/')
        print(f'| {event.key} | {shapes[:80]} | {event.count} | '
              f'{event.self_cpu_time_total / 1e3 / frames:.1f} | '
              f'{event.self_cpu_time_total / profiled:.1%} |')


if __name__ == '__main__':
    main()

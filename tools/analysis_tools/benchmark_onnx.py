"""Seconds per frame of SeqFormer inference on ONNX Runtime vs PyTorch
(CPU), and how far apart their outputs are.

    python tools/analysis_tools/benchmark_onnx.py \
        [--config configs/seqformer_r50.py] [--checkpoint CKPT] \
        [--size 360 640] [--frames 8] [--chunk-size 4] [--repeats 3] \
        [--threads N] [--model-dir DIR]

Builds the model (random weights plus Gaussian noise of ``--noise``
unless ``--checkpoint``: speed does not depend on the weights, and the
noise keeps the masks from being degenerate), exports it to ONNX (into a
temporary folder, or ``--model-dir`` if given and already exported), then
runs :func:`inference_vis` (offline mode, ``--chunk-size`` frames per
chunk) on the same synthetic ``--frames``-frame video with both backends,
one warm-up run each and then ``--repeats`` timed runs, alternating.
Both use ``--threads`` threads (default: PyTorch's, i.e.
``OMP_NUM_THREADS``). Prints a Markdown table row per backend (median
s/frame) and the largest differences (class logits, references, mask
probabilities, same top pairs) on the first frames of the video.
"""
import argparse
import os.path as osp
import platform
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

import torch  # noqa: E402

from mmseqformer.apis import inference_vis, init_vis_model  # noqa: E402
from mmseqformer.deploy import META_FILE, export_onnx  # noqa: E402
from mmseqformer.deploy.parity import backend_differences  # noqa: E402
from mmseqformer.deploy.parity import synthetic_video  # noqa: E402
from mmseqformer.utils import tune_glibc_malloc  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config', default=osp.join(REPO, 'configs/seqformer_r50.py'))
    parser.add_argument(
        '--checkpoint', help='weights (default: random plus --noise)')
    parser.add_argument(
        '--noise',
        type=float,
        default=0.02,
        help='std of the noise added to random weights')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[360, 640],
        metavar=('H', 'W'),
        help='frame size (the R50 test pipeline keeps 360p as it is)')
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--chunk-size', type=int, default=4)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, help='threads of both backends')
    parser.add_argument(
        '--parity-frames',
        type=int,
        default=2,
        help='frames of the parity check (0: skip it)')
    parser.add_argument(
        '--model-dir',
        help='exported model folder: used if it holds an export, else '
        'written (default: a temporary folder)')
    return parser.parse_args()


def build_model(args: argparse.Namespace):
    torch.manual_seed(0)
    model = init_vis_model(args.config, args.checkpoint)
    if args.checkpoint is None:
        with torch.no_grad():
            for param in model.parameters():
                param.add_(torch.randn_like(param) * args.noise)
    return model


def seconds_per_frame(model, frames, chunk_size: int) -> float:
    start = time.perf_counter()
    inference_vis(model, frames, chunk_size=chunk_size)
    return (time.perf_counter() - start) / len(frames)


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    tune_glibc_malloc()  # as the demo does
    model = build_model(args)
    with tempfile.TemporaryDirectory() as tmp_dir:
        model_dir = args.model_dir or osp.join(tmp_dir, 'onnx')
        if not osp.isfile(osp.join(model_dir, META_FILE)):
            start = time.perf_counter()
            export_onnx(model, model_dir)
            print(f'exported to {model_dir} in '
                  f'{time.perf_counter() - start:.1f} s')
        onnx_model = init_vis_model(
            args.config, model_dir, backend='onnxruntime')
        frames = list(synthetic_video(args.frames, tuple(args.size)))
        backends = dict(pytorch=model, onnxruntime=onnx_model)
        times = {name: [] for name in backends}
        for name, backend_model in backends.items():  # warm-up
            seconds_per_frame(backend_model, frames[:2], args.chunk_size)
        for _ in range(args.repeats):
            for name, backend_model in backends.items():
                times[name].append(
                    seconds_per_frame(backend_model, frames, args.chunk_size))
        differences = None
        if args.parity_frames:
            differences = backend_differences(model, onnx_model,
                                              frames[:args.parity_frames])
    height, width = args.size
    print(f'\n{osp.basename(args.config)}, {args.frames} frames of '
          f'{height}x{width}, chunks of {args.chunk_size}, '
          f'{torch.get_num_threads()} threads, {_cpu_name()}, '
          f'torch {torch.__version__}, onnxruntime {_ort_version()}, '
          f'{time.strftime("%Y-%m-%d")}')
    print('| backend | s/frame (median) | runs |\n| --- | --- | --- |')
    for name, values in times.items():
        values = sorted(values)
        print(f'| {name} | {values[len(values) // 2]:.3f} | ' +
              ', '.join(f'{value:.3f}' for value in values) + ' |')
    if differences is not None:
        print(f'\nlargest differences on {args.parity_frames} frames: class '
              f'logits {differences["cls_logits"]:.2e}, references '
              f'{differences["references"]:.2e}, mask probabilities '
              f'{differences["mask_probs"]:.2e}, scores '
              f'{differences["scores"]:.2e}; same top pairs: '
              f'{differences["same_selection"]}')


def _cpu_name() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ort_version() -> str:
    import onnxruntime
    return onnxruntime.__version__


if __name__ == '__main__':
    main()

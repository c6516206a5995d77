"""Seconds per frame of SeqFormer inference on ONNX Runtime against
PyTorch (CPU), and how far apart their outputs are
(``tools/analysis_tools/benchmark.py onnx``).

Both backends run :func:`inference_vis` (offline mode, ``chunk_size``
frames per chunk) on the same synthetic video, one warm-up run each and
then ``repeats`` timed runs, alternating, with the same threads.
"""
import os.path as osp
import tempfile
import time
from typing import Dict, List, Optional

import torch

from mmseqformer.apis import inference_vis, init_vis_model
from mmseqformer.deploy import META_FILE, export_onnx
from mmseqformer.deploy.parity import backend_differences
from mmseqformer.testing import moving_block_video, perturb_weights
from .machine import cpu_name
from .markdown import markdown_table


def build_model(config: str, checkpoint: Optional[str], noise: float):
    """The model of ``checkpoint``, or random weights plus Gaussian noise
    of std ``noise`` (speed does not depend on the weights; the noise
    keeps the masks from being degenerate)."""
    torch.manual_seed(0)
    model = init_vis_model(config, checkpoint)
    return model if checkpoint is not None else perturb_weights(model, noise)


def seconds_per_frame(model, frames, chunk_size: int) -> float:
    start = time.perf_counter()
    inference_vis(model, frames, chunk_size=chunk_size)
    return (time.perf_counter() - start) / len(frames)


def compare_backends(settings: dict) -> dict:
    """Export (into ``model_dir`` unless it holds an export already, else a
    temporary folder), time both backends and compare their outputs on
    the first ``parity_frames`` frames.

    Returns:
        dict: ``times`` (backend -> seconds per frame of each run) and
        ``differences`` (of ``backend_differences``; None without
        ``parity_frames``).
    """
    model = build_model(settings['config'], settings['checkpoint'],
                        settings['noise'])
    chunk_size = settings['chunk_size']
    with tempfile.TemporaryDirectory() as tmp_dir:
        model_dir = settings['model_dir'] or osp.join(tmp_dir, 'onnx')
        if not osp.isfile(osp.join(model_dir, META_FILE)):
            start = time.perf_counter()
            export_onnx(model, model_dir)
            print(f'exported to {model_dir} in '
                  f'{time.perf_counter() - start:.1f} s')
        onnx_model = init_vis_model(
            settings['config'], model_dir, backend='onnxruntime')
        frames = list(
            moving_block_video(settings['frames'], tuple(settings['size'])))
        backends = dict(pytorch=model, onnxruntime=onnx_model)
        times = {name: [] for name in backends}
        for backend_model in backends.values():  # warm-up
            seconds_per_frame(backend_model, frames[:2], chunk_size)
        for _ in range(settings['repeats']):
            for name, backend_model in backends.items():
                times[name].append(
                    seconds_per_frame(backend_model, frames, chunk_size))
        differences = None
        if settings['parity_frames']:
            differences = backend_differences(
                model, onnx_model, frames[:settings['parity_frames']])
    return dict(times=times, differences=differences)


def report(settings: dict, times: Dict[str, List[float]],
           differences: Optional[dict]) -> str:
    """The conditions, a table row per backend (median s/frame and every
    run) and the largest differences."""
    import onnxruntime
    height, width = settings['size']
    lines = [
        f'\n{osp.basename(settings["config"])}, {settings["frames"]} frames '
        f'of {height}x{width}, chunks of {settings["chunk_size"]}, '
        f'{torch.get_num_threads()} threads, {cpu_name()}, '
        f'torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, '
        f'{time.strftime("%Y-%m-%d")}'
    ]
    rows = []
    for name, values in times.items():
        values = sorted(values)
        # The middle run: the median of an odd number of runs.
        rows.append([
            name, f'{values[len(values) // 2]:.3f}',
            ', '.join(f'{value:.3f}' for value in values)
        ])
    lines.append(markdown_table(['backend', 's/frame (median)', 'runs'], rows))
    if differences is not None:
        lines.append(
            f'\nlargest differences on {settings["parity_frames"]} frames: '
            f'class logits {differences["cls_logits"]:.2e}, references '
            f'{differences["references"]:.2e}, mask probabilities '
            f'{differences["mask_probs"]:.2e}, scores '
            f'{differences["scores"]:.2e}; same top pairs: '
            f'{differences["same_selection"]}')
    return '\n'.join(lines)

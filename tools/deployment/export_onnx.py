"""Export a SeqFormer to ONNX: three graphs and a description, run with
ONNX Runtime through the usual API (docs/user_guides/deployment.md).

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT OUT_DIR \
        [--opset 17] [--trace-size T H W] [--no-check] [--non-strict] \
        [--cfg-options ...]

OUT_DIR gets ``frame_paths.onnx`` (per chunk of frames: backbone, encoder,
every decoder layer's box path, mask features; dynamic t, H, W),
``instance_path.onnx`` and ``instance_masks.onnx`` (per video: instance
queries and class logits from the aggregated frames; the dynamic mask head
for chosen queries and frames), ``config.py`` and ``deploy.json``. Each
graph passes ``onnx.checker``. Then, unless ``--no-check``, ONNX Runtime
and PyTorch run a synthetic 3-frame video of another size than the traced
one and the largest differences are printed; the tool fails if one
exceeds 1e-3 or the top pairs differ. Use the folder with

    init_vis_model(CONFIG, OUT_DIR, backend='onnxruntime')
    python tools/demo/video_demo.py INPUT CONFIG OUT_DIR --backend onnxruntime
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction

from mmseqformer.apis import init_vis_model
from mmseqformer.deploy import export_onnx
from mmseqformer.deploy.parity import (TOLERANCE, backend_differences,
                                       parity_failures)
from mmseqformer.testing import moving_block_video
from mmseqformer.utils import report_user_errors
from mmseqformer.utils.tool_config import add_non_strict_argument


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='model checkpoint')
    parser.add_argument('out_dir', help='folder for the exported model')
    parser.add_argument(
        '--opset', type=int, default=17, help='ONNX opset (>= 16)')
    parser.add_argument(
        '--trace-size',
        type=int,
        nargs=3,
        default=[2, 128, 160],
        metavar=('T', 'H', 'W'),
        help='frames and size of the tracing input (the graphs take any)')
    parser.add_argument(
        '--no-check',
        action='store_true',
        help='skip running ONNX Runtime against PyTorch after the export')
    add_non_strict_argument(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries')
    return parser.parse_args()


@report_user_errors()
def main() -> None:
    args = parse_args()
    model = init_vis_model(
        args.config,
        args.checkpoint,
        'cpu',
        args.cfg_options,
        strict=not args.non_strict)
    start = time.perf_counter()
    try:
        meta = export_onnx(
            model,
            args.out_dir,
            opset=args.opset,
            trace_size=args.trace_size,
            source_config=args.config,
            checkpoint=args.checkpoint)
    except (ValueError, FileExistsError) as err:
        raise SystemExit(f'error: {err}') from None
    print(f'exported to {args.out_dir} in {time.perf_counter() - start:.1f} '
          's: ' + ', '.join(graph['file']
                            for graph in meta['graphs'].values()) +
          ' (onnx.checker: passed)')
    if args.no_check:
        return
    onnx_model = init_vis_model(
        args.config,
        args.out_dir,
        cfg_options=args.cfg_options,
        backend='onnxruntime')
    _, height, width = args.trace_size
    # Another size than the traced one: dynamic sizes must stay dynamic.
    frames = moving_block_video(3, (height + 37, width + 53))
    differences = backend_differences(model, onnx_model, frames)
    print('ONNX Runtime vs PyTorch, largest absolute differences on a '
          f'3-frame {height + 37}x{width + 53} video: class logits '
          f'{differences["cls_logits"]:.2e}, references '
          f'{differences["references"]:.2e}, mask probabilities '
          f'{differences["mask_probs"]:.2e}, scores '
          f'{differences["scores"]:.2e}; same top pairs: '
          f'{differences["same_selection"]}')
    failures = parity_failures(differences)
    if failures:
        raise SystemExit(f'error: ONNX Runtime differs from PyTorch beyond '
                         f'{TOLERANCE:g}: ' + '; '.join(failures))


if __name__ == '__main__':
    main()

"""Run the official ``inference.py`` and our public API on one video; compare.

    python tools/analysis_tools/official/compare_video_with_official.py \\
        VIDEO --official-root SEQFORMER_CHECKOUT --official-python PYTHON \\
        [--config configs/seqformer_r50.py] [--seed 0] [--work-dir DIR]

VIDEO is decoded by our reader and handed to the unchanged official
``inference.py`` (random official R50 weights of seed ``--seed``, run in
``--official-python``: an environment with torchvision and scipy) and,
converted, to ``inference_vis`` (the path of ``tools/test.py`` and the
demo); the entries are paired in order and printed with both classes and
scores and the clip mask IoU on the official 360p input grid
(``mmseqformer.benchmark.official_video``). Exit status 1 unless every
entry pairs by class, in the same order, with IoU >= ``--min-iou`` and
scores within ``--score-atol``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile

# Run from a source checkout without installing.
sys.path.insert(
    0,
    osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))

import torch

from mmseqformer import apis
from mmseqformer.benchmark import official_video
from mmseqformer.benchmark.official_code import (add_official_arguments,
                                                 check_official_checkout)
from mmseqformer.models.utils import official_to_mmseqformer
from mmseqformer.utils import read_config, report_user_errors


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='an mp4/avi/... file or frame folder')
    add_official_arguments(parser, required=True)
    parser.add_argument('--config', default='configs/seqformer_r50.py')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--chunk-size', type=int, default=4)
    parser.add_argument('--min-iou', type=float, default=0.9)
    parser.add_argument('--score-atol', type=float, default=2e-3)
    parser.add_argument(
        '--work-dir', help='keep the frames, checkpoints and results here')
    parser.add_argument(
        '--reuse-official',
        action='store_true',
        help='reuse the official checkpoint and results of an earlier run '
        'in --work-dir (same video and seed)')
    return parser.parse_args()


@report_user_errors()
def main() -> None:
    args = parse_args()
    check_official_checkout(args.official_root)
    read_config(args.config)  # before the official run, not after
    frames = list(apis.open_video_source(args.video))
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='vis-compare-')
    os.makedirs(work_dir, exist_ok=True)
    ann = official_video.write_official_input(frames, work_dir)
    official_ckpt = osp.join(work_dir, 'official_r50_random.pth')
    official_out = osp.join(work_dir, 'official_results.json')
    if not (args.reuse_official and osp.isfile(official_out)):
        official_video.official_inference(
            args.official_python,
            official_root=args.official_root,
            seed=args.seed,
            checkpoint=official_ckpt,
            frames=work_dir,
            ann=ann,
            out=official_out)
    with open(official_out) as file:
        official = json.load(file)

    state = torch.load(official_ckpt, map_location='cpu', weights_only=False)
    ours_state, _ = official_to_mmseqformer(state['model'])
    ours_ckpt = osp.join(work_dir, 'mmseqformer_r50_random.pth')
    torch.save(dict(state_dict=ours_state), ours_ckpt)
    model = apis.init_vis_model(args.config, ours_ckpt, device='cpu')
    prediction = apis.inference_vis(model, frames, chunk_size=args.chunk_size)
    ours = prediction.to_ytvis(video_id=1)
    with open(osp.join(work_dir, 'mmseqformer_results.json'), 'w') as file:
        json.dump(ours, file)

    grid = official_video.official_grid(*frames[0].shape[:2])
    print(f'{len(frames)} frames of {frames[0].shape[1]}x'
          f'{frames[0].shape[0]}; official input grid {grid[1]}x{grid[0]}')
    print(f'{"#":>2} {"official":>16} {"ours":>16} {"|d score|":>10} '
          f'{"clip IoU":>9}')
    lines, failures = official_video.pair_entries(official, ours, grid,
                                                  args.score_atol,
                                                  args.min_iou)
    print('\n'.join(lines))
    print('all entries pair' if not failures else 'FAILED: ' +
          '; '.join(failures))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()

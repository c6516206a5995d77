"""Run the official ``inference.py`` and our public API on one video; compare.

    python tools/analysis_tools/compare_video_with_official.py VIDEO \\
        --official-root SEQFORMER_CHECKOUT --official-python PYTHON \\
        [--config configs/seqformer_r50.py] [--seed 0] [--work-dir DIR]

What it does, end to end, as a user would meet it:

1. decodes VIDEO with our video reader (OpenCV) and writes the frames as
   lossless PNGs plus a one-video annotation file, the input layout of the
   official ``inference.py``;
2. with ``--official-python`` (an environment with torchvision and scipy,
   which the official code needs), builds the official R50 model of
   ``inference.py``'s defaults, gives it random weights
   (``official_seqformer.randomize_official_``, seed ``--seed``), saves it
   as an official checkpoint and runs the unchanged official
   ``inference.py`` on the frames (its own PIL reading, ``Resize(360)``,
   whole-video pass, top-10 selection, masks at the frame size);
3. converts that checkpoint with our converter, loads it with
   ``init_vis_model`` and runs ``inference_vis`` on the decoded frames
   (the path of ``tools/test.py`` and the demo: the config's test pipeline
   and data preprocessor, streaming in chunks);
4. pairs the official entries with ours in order and prints, per entry,
   both classes and scores and the clip mask IoU (intersection over union
   summed over all frames) on the official 360p input grid; it exits with
   status 1 unless every entry pairs by class, in the same order, with
   IoU >= ``--min-iou`` and scores within ``--score-atol``.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import pycocotools.mask as mask_util
import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.apis import (inference_vis, init_vis_model,  # noqa: E402
                              open_video_source)
from mmseqformer.models.utils import official_to_mmseqformer  # noqa: E402

#: Runs in the official environment: random official R50, then its own
#: inference.py. argv: tools dir, checkout, seed, checkpoint, frames
#: folder, annotation file, results file.
OFFICIAL_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
from official_seqformer import (build_official_model, randomize_official_,
                                run_official_script,
                                save_official_checkpoint)
root, seed, ckpt, frames, ann, out = sys.argv[2:8]
model, _, _ = build_official_model(root, script='inference.py')
randomize_official_(model, seed=int(seed))
save_official_checkpoint(model, ckpt)
run_official_script(root, 'inference.py', [
    '--masks', '--device', 'cpu', '--model_path', ckpt, '--img_path',
    frames, '--ann_path', ann, '--save_path', out])
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='an mp4/avi/... file or frame folder')
    parser.add_argument(
        '--official-root', required=True, help='official SeqFormer checkout')
    parser.add_argument(
        '--official-python',
        required=True,
        help='python of an environment where the official code runs')
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


def write_official_input(frames, folder: str) -> str:
    """Frames as ``folder/video/00000.png``...; returns the annotation file
    (the ``videos`` list that ``inference.py`` reads)."""
    os.makedirs(osp.join(folder, 'video'), exist_ok=True)
    names = []
    for index, frame in enumerate(frames):
        names.append(f'video/{index:05d}.png')
        cv2.imwrite(osp.join(folder, names[-1]), frame)  # BGR -> RGB PNG
    ann = osp.join(folder, 'videos.json')
    height, width = frames[0].shape[:2]
    with open(ann, 'w') as file:
        json.dump(
            dict(videos=[
                dict(
                    id=1,
                    length=len(names),
                    file_names=names,
                    height=height,
                    width=width)
            ]), file)
    return ann


def clip_masks(entry: dict, size) -> np.ndarray:
    """(T, h, w) bool masks of one results entry on the (h, w) grid."""
    masks = []
    for rle in entry['segmentations']:
        mask = mask_util.decode(rle)
        masks.append(
            cv2.resize(mask, (size[1], size[0]),
                       interpolation=cv2.INTER_NEAREST).astype(bool))
    return np.stack(masks)


def clip_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def official_grid(height: int, width: int, size: int = 360):
    """torchvision ``Resize(360)``'s output size: (h, w)."""
    if height <= width:
        return size, int(size * width / height)
    return int(size * height / width), size


def main() -> None:
    args = parse_args()
    frames = list(open_video_source(args.video))
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='vis-compare-')
    os.makedirs(work_dir, exist_ok=True)
    ann = write_official_input(frames, work_dir)
    official_ckpt = osp.join(work_dir, 'official_r50_random.pth')
    official_out = osp.join(work_dir, 'official_results.json')
    tools_dir = osp.dirname(osp.abspath(__file__))
    if not (args.reuse_official and osp.isfile(official_out)):
        subprocess.run([
            args.official_python, '-c', OFFICIAL_RUN, tools_dir,
            args.official_root,
            str(args.seed), official_ckpt, work_dir, ann, official_out
        ],
                       check=True)
    official = json.load(open(official_out))

    state = torch.load(official_ckpt, map_location='cpu', weights_only=False)
    ours_state, _ = official_to_mmseqformer(state['model'])
    ours_ckpt = osp.join(work_dir, 'mmseqformer_r50_random.pth')
    torch.save(dict(state_dict=ours_state), ours_ckpt)
    model = init_vis_model(args.config, ours_ckpt, device='cpu')
    prediction = inference_vis(model, frames, chunk_size=args.chunk_size)
    ours = prediction.to_ytvis(video_id=1)
    with open(osp.join(work_dir, 'mmseqformer_results.json'), 'w') as file:
        json.dump(ours, file)

    grid = official_grid(*frames[0].shape[:2])
    print(f'{len(frames)} frames of {frames[0].shape[1]}x'
          f'{frames[0].shape[0]}; official input grid {grid[1]}x{grid[0]}')
    print(f'{"#":>2} {"official":>16} {"ours":>16} {"|d score|":>10} '
          f'{"clip IoU":>9}')
    failures = []
    if len(ours) != len(official):
        failures.append(f'{len(ours)} entries (ours) vs {len(official)}')
    for index, (theirs, mine) in enumerate(zip(official, ours)):
        diff = abs(theirs['score'] - mine['score'])
        iou = clip_iou(clip_masks(theirs, grid), clip_masks(mine, grid))
        print(f'{index:>2} {theirs["category_id"]:>4} '
              f'{theirs["score"]:.6f}  {mine["category_id"]:>4} '
              f'{mine["score"]:.6f} {diff:>10.2e} {iou:>9.4f}')
        if theirs['category_id'] != mine['category_id']:
            failures.append(f'entry {index}: class')
        if diff > args.score_atol:
            failures.append(f'entry {index}: score')
        if iou < args.min_iou:
            failures.append(f'entry {index}: mask IoU')
    print('all entries pair' if not failures else 'FAILED: ' +
          '; '.join(failures))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()

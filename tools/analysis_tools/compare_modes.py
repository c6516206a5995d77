"""Compare the inference modes: AP, identity, latency, speed and memory.

On annotated videos (one table per annotation file)::

    python tools/analysis_tools/compare_modes.py CONFIG CHECKPOINT \\
        --ann data/synthetic_vis/valid.json \\
        --img-root data/synthetic_vis/valid/JPEGImages \\
        --ann data/synthetic_vis/valid_long.json \\
        --img-root data/synthetic_vis/valid_long/JPEGImages \\
        --modes offline online window:4 window:8 clips:3 clips:5

Columns: YouTube-VIS AP and AP50 (mmdet's YouTube-VIS evaluator, as
``YouTubeVISEvalMetric`` runs it), HOTA, IDF1 and ID switches (TrackEval,
as ``tools/analysis_tools/eval_identity.py``, tracks scoring at least
``--score-thr``), latency in frames (how long a frame waits for its
answer: 0 for ``online`` and ``window``, clip_length - 1 for ``clips``, the
video for ``offline``), seconds per frame (inference time, frame decoding
included, over all frames of the set) and peak resident memory of the
process (``ru_maxrss``: model, Python and the largest video of the set).

On one video without annotations, how far each mode is from ``offline``::

    python tools/analysis_tools/compare_modes.py CONFIG CHECKPOINT \\
        --video ../shared/data/street_8f_1080p.mp4 \\
        --modes offline online window:4 clips:3

For every frame and every offline instance scoring at least
``--score-thr`` with a mask in that frame, the best mask IoU among the
mode's instances of that frame; the table gives their mean and the share
at IoU >= 0.5. With ``online``, it also prints the largest difference of
the class probabilities and instance queries after the last frame
(online's must equal offline's).

A mode is ``NAME[:VALUE...][:KEY=VALUE...]``: the values without a key
are, in order, ``chunk_size`` for ``offline``, ``window`` for ``window``,
``clip_length`` and ``overlap`` for ``clips`` (``window:8``,
``clips:5:2``, ``window:8:similarity_thr=0.3``, ``offline:none`` for the
whole video in one pass); the other keys are the mode's options
(``mmseqformer.apis.stream_vis``).

Each (set, mode) runs in a fresh process, so its peak memory is its own;
``--threads`` sets torch's threads there, and glibc's malloc is tuned as
the video demo tunes it (``--no-malloc-tuning`` to keep its defaults). Every mode's YouTube-VIS results
file and the tables are written to ``--work-dir``.
"""
import argparse
import contextlib
import inspect
import io
import json
import os
import os.path as osp
import re
import resource
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import pycocotools.mask as mask_util

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# The shared benchmark modules beside this script (also under runpy).
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_runs import emit, last_error_line, run_child  # noqa: E402

from mmseqformer.apis import MODES, VideoSource, inference_vis  # noqa: E402
from mmseqformer.apis.streaming import CAUSAL_MODES  # noqa: E402
from mmseqformer.datasets.transforms import check_frame_file  # noqa: E402
from mmseqformer.datasets.ytvis_format import (  # noqa: E402
    VISAnnotationError, is_official_layout, load_json_file,
    load_vis_annotations)
from mmseqformer.evaluation import numpy_float_alias  # noqa: E402
from mmseqformer.evaluation.functional import (  # noqa: E402
    DEFAULT_SCORE_THR, evaluate_identity_files, import_trackeval_runner,
    load_ground_truth)

#: Options a mode takes without their name, in order (``window:8``).
POSITIONAL_OPTIONS = dict(
    offline=('chunk_size', ),
    online=(),
    window=('window', ),
    clips=('clip_length', 'overlap'))
#: Indices of AP, AP50, AP75, AR1 and AR10 in ``YTVISeval.stats``.
AP_STATS = dict(AP=0, AP50=1, AP75=2, AR1=6, AR10=7)
#: Frames per chunk of the offline mode unless ``offline:N`` says.
DEFAULT_CHUNK_SIZE = inspect.signature(
    inference_vis).parameters['chunk_size'].default
#: The file-reading steps a test pipeline may start with.
FRAME_LOADERS = ('LoadVideoFrameFromFile', 'LoadImageFromFile')


@dataclass
class ModeSpec:
    """A mode and its options, as written on the command line.

    Attributes:
        label (str): As given, e.g. ``window:8``.
        mode (str): One of ``MODES``.
        options (dict): Keyword arguments of ``inference_vis``.
    """
    label: str
    mode: str
    options: dict

    @property
    def file_stem(self) -> str:
        return re.sub(r'[^A-Za-z0-9_.-]+', '-', self.label)


def mode_option_names(mode: str) -> List[str]:
    """The options a mode accepts (its inference class's constructors)."""
    if mode == 'offline':
        return ['chunk_size']
    names = []
    for klass in CAUSAL_MODES[mode].__mro__:
        if '__init__' not in vars(klass):
            continue
        for name, parameter in inspect.signature(
                klass.__init__).parameters.items():
            if parameter.kind == parameter.POSITIONAL_OR_KEYWORD and \
                    name not in ('self', 'model') and name not in names:
                names.append(name)
    return names


def _option_value(text: str, label: str):
    if text.lower() == 'none':
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise ValueError(f'mode {label!r}: {text!r} is not a number')


def parse_mode_spec(label: str) -> ModeSpec:
    """``window:8:similarity_thr=0.3`` -> ModeSpec('window:8:...',
    'window', {'window': 8, 'similarity_thr': 0.3}); errors name the
    spec."""
    mode, *parts = label.split(':')
    if mode not in MODES:
        raise ValueError(f'mode {label!r}: {mode!r} is not one of {MODES}')
    positional = POSITIONAL_OPTIONS[mode]
    allowed = mode_option_names(mode)
    options = {}
    for index, part in enumerate(parts):
        if '=' in part:
            key, value = part.split('=', 1)
        elif index < len(positional) and '=' not in ''.join(parts[:index]):
            key, value = positional[index], part
        else:
            raise ValueError(
                f'mode {label!r}: {part!r} needs a name (KEY=VALUE); '
                f'{mode} takes {len(positional)} value(s) without one '
                f'({", ".join(positional) or "none"})')
        if key not in allowed:
            raise ValueError(f'mode {label!r}: {mode} has no option {key!r} '
                             f'(options: {", ".join(allowed)})')
        if key in options:
            raise ValueError(f'mode {label!r}: {key!r} given twice')
        options[key] = _option_value(value, label)
    return ModeSpec(label, mode, options)


# ---------------------------------------------------------------------------
# Annotated videos
# ---------------------------------------------------------------------------


@dataclass
class AnnotatedSet:
    """The videos of one annotation file.

    Attributes:
        name (str): For tables and output files.
        ann_file (str): The annotation file (official or CocoVID layout).
        img_root (str): The folder its ``file_name`` s are relative to.
        videos (list[tuple[int, str, list[str]]]): id, name and frame
            paths (in frame order) of each video.
        categories (list[dict]): The file's categories.
    """
    name: str
    ann_file: str
    img_root: str
    videos: List[Tuple[int, str, List[str]]]
    categories: List[dict]

    @property
    def num_frames(self) -> int:
        return sum(len(paths) for _, _, paths in self.videos)


def load_annotated_set(ann_file: str,
                       img_root: str,
                       name: str = 'set') -> AnnotatedSet:
    """Read ``ann_file`` and check that every frame file it lists is an
    image (errors name the file, the video and the frame)."""
    content = load_vis_annotations(ann_file)
    frames = defaultdict(list)
    for image in content['images']:
        frames[image['video_id']].append(
            (image['frame_id'], osp.join(img_root, image['file_name'])))
    videos = []
    for video in content['videos']:
        paths = [path for _, path in sorted(frames[video['id']])]
        if not paths:
            raise VISAnnotationError(
                f'{ann_file}: video {video["id"]} lists no frame')
        for index, path in enumerate(paths):
            problem = check_frame_file(path)
            if problem is not None:
                raise VISAnnotationError(
                    f'{ann_file}: video {video["id"]} frame {index}: {path} '
                    f'{problem} (is --img-root {img_root} right?)')
        videos.append((video['id'], video.get('name')
                       or osp.basename(osp.dirname(paths[0])), paths))
    return AnnotatedSet(name, ann_file, img_root, videos,
                        content['categories'])


class AnnotatedVideo(VideoSource):
    """The frames an annotation file lists for one video, decoded as they
    are read, by the config's own file-loading step (the frames
    ``tools/test.py`` gives the model).

    Args:
        name (str): The video's name.
        video_id (int): Its id (for error messages).
        paths (list[str]): Frame files in order.
        load_frame (callable): The loading transform (results dict in,
            results dict with ``img`` out).
    """

    def __init__(self, name: str, video_id: int, paths: List[str],
                 load_frame) -> None:
        self.name, self.video_id, self.paths = name, video_id, paths
        self.load_frame = load_frame

    def __iter__(self) -> Iterator[np.ndarray]:
        for frame_id, path in enumerate(self.paths):
            yield self.load_frame(
                dict(img_path=path, video_id=self.video_id,
                     frame_id=frame_id))['img']

    def __len__(self) -> int:
        return len(self.paths)


def build_frame_loader(cfg):
    """The first file-loading step of the config's test pipeline
    (``LoadVideoFrameFromFile`` with its decoding backend)."""
    from mmdet.registry import TRANSFORMS
    pipeline = cfg.test_dataloader.dataset.pipeline
    steps = pipeline[0].get('transforms', []) + list(pipeline)
    for step in steps:
        if step.get('type') in FRAME_LOADERS:
            return TRANSFORMS.build(step)
    return TRANSFORMS.build(dict(type='LoadVideoFrameFromFile'))


def label_category_ids(class_names, categories: List[dict],
                       ann_file: str) -> List[int]:
    """The annotation file's category id of each model label, by name;
    without class names, the file's categories in id order (as
    ``YouTubeVISFormatDataset``)."""
    if not class_names:
        return sorted(category['id'] for category in categories)
    by_name = {category['name']: category['id'] for category in categories}
    missing = [name for name in class_names if name not in by_name]
    if missing:
        raise VISAnnotationError(
            f'{ann_file}: no category named {missing[0]!r}, a class of the '
            f'model (its classes: {list(class_names)}; the file\'s: '
            f'{sorted(by_name)})')
    return [by_name[name] for name in class_names]


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def youtube_vis_ap(ann_file: str, results: List[dict]) -> Dict[str, float]:
    """AP, AP50, AP75, AR1 and AR10 of YouTube-VIS results entries.

    mmdet's YouTube-VIS evaluator (``YTVIS``/``YTVISeval``, the one behind
    ``YouTubeVISEvalMetric``, with its numpy fix) on the annotation file as
    the official evaluation reads it: an official-layout file as it is
    (instances null in every frame count), a CocoVID file as tracks.
    """
    from mmdet.evaluation.functional import YTVIS, YTVISeval
    if not results:  # as YouTubeVISEvalMetric: nothing predicted, all 0
        return {name: 0.0 for name in AP_STATS}
    content = load_json_file(ann_file)
    if not is_official_layout(content):
        content = load_ground_truth(ann_file)
        for ann in content['annotations']:
            ann['areas'] = [
                None if segm is None else float(mask_util.area(segm))
                for segm in ann['segmentations']
            ]
    with contextlib.redirect_stdout(io.StringIO()):  # its progress lines
        gt = YTVIS(content)
        evaluation = YTVISeval(gt, gt.loadRes(results), 'segm')
        evaluation.params.vidIds = gt.getVidIds()
        with numpy_float_alias():
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
    return {
        name: float(evaluation.stats[index])
        for name, index in AP_STATS.items()
    }


def identity_metrics(results_file: str, ann_file: str,
                     score_thr: float) -> Dict[str, float]:
    """HOTA, DetA, AssA, IDF1 and IDSW (all classes pooled), as
    ``eval_identity.py`` computes them."""
    return evaluate_identity_files(
        results_file, ann_file, score_thr=score_thr).summary()


def present_masks(entries: List[dict], frame: int) -> List[dict]:
    """The non-empty RLE masks of ``entries`` in one frame."""
    masks = [entry['segmentations'][frame] for entry in entries]
    return [
        mask for mask in masks if mask is not None and mask_util.area(mask) > 0
    ]


def agreement_with_offline(offline: List[dict], other: List[dict],
                           score_thr: float) -> Dict[str, float]:
    """How well a mode's masks cover offline's.

    For every frame and every offline entry scoring at least
    ``score_thr`` with a mask in that frame, the best IoU among the
    mode's masks of that frame (0 without any).

    Args:
        offline (list[dict]): Offline's YouTube-VIS results entries.
        other (list[dict]): The mode's entries, same video.
        score_thr (float): Lowest score of an offline entry compared.

    Returns:
        dict: ``mean_iou`` and ``matched`` (share with IoU >= 0.5), NaN
        when no offline entry qualifies, and ``pairs`` compared.
    """
    reference = [entry for entry in offline if entry['score'] >= score_thr]
    num_frames = len(offline[0]['segmentations']) if offline else 0
    best = []
    for frame in range(num_frames):
        masks = present_masks(reference, frame)
        if not masks:
            continue
        candidates = present_masks(other, frame)
        if not candidates:
            best += [0.0] * len(masks)
            continue
        ious = mask_util.iou(masks, candidates, [0] * len(candidates))
        best += np.asarray(ious).max(1).tolist()
    if not best:
        return dict(mean_iou=float('nan'), matched=float('nan'), pairs=0)
    best = np.array(best)
    return dict(
        mean_iou=float(best.mean()),
        matched=float((best >= 0.5).mean()),
        pairs=len(best))


# ---------------------------------------------------------------------------
# One mode in a fresh process
# ---------------------------------------------------------------------------


def peak_memory_gb(device: str) -> Tuple[float, Optional[float]]:
    """Peak resident memory of this process and, on CUDA, the peak of
    torch's allocator, in GiB."""
    import torch
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    if device.startswith('cuda'):
        return rss, torch.cuda.max_memory_allocated(device) / 2**30
    return rss, None


def child(args: argparse.Namespace) -> None:
    """Run one mode on every video of a set (or on ``--video``); write
    its results file; print one result row."""
    import torch

    from mmseqformer.apis import init_vis_model, open_video_source
    from mmseqformer.apis.streaming import build_causal_inference
    from mmseqformer.utils import tune_glibc_malloc
    if not args.no_malloc_tuning:
        tune_glibc_malloc()  # as the video demo
    if args.threads:
        torch.set_num_threads(args.threads)
    spec = parse_mode_spec(args.child)
    model = init_vis_model(args.config, args.checkpoint, device=args.device)
    if args.video:
        videos = [(1, open_video_source(args.video))]
        category_ids = None
    else:
        dataset = load_annotated_set(args.ann[0], args.img_root[0])
        load_frame = build_frame_loader(model.cfg)
        videos = [(video_id, AnnotatedVideo(name, video_id, paths, load_frame))
                  for video_id, name, paths in dataset.videos]
        category_ids = label_category_ids(
            model.dataset_meta.get('classes'), dataset.categories,
            dataset.ann_file)
    if spec.mode == 'offline':
        latency = None  # the video
    else:
        latency = build_causal_inference(model, spec.mode,
                                         **spec.options).latency
    results, frames, seconds, tracks, longest = [], 0, 0.0, 0, 0
    for video_id, source in videos:
        start = time.perf_counter()
        prediction = inference_vis(
            model, source, mode=spec.mode, **spec.options)
        if args.device.startswith('cuda'):
            torch.cuda.synchronize(args.device)
        seconds += time.perf_counter() - start
        frames += len(prediction)
        longest = max(longest, len(prediction))
        tracks += len(prediction.scores)
        results += prediction.to_ytvis(video_id, category_ids)
    with open(args.out, 'w') as f:
        json.dump(results, f)
    rss_gb, gpu_gb = peak_memory_gb(args.device)
    emit(
        dict(
            mode=spec.label,
            videos=len(videos),
            frames=frames,
            longest=longest,
            tracks=tracks,
            seconds=seconds,
            latency=latency,
            peak_rss_gb=rss_gb,
            peak_gpu_gb=gpu_gb,
            threads=torch.get_num_threads()))


def run_mode(args: argparse.Namespace, spec: ModeSpec, out: str,
             dataset: Optional[AnnotatedSet]) -> dict:
    """Run ``child`` in a fresh process; its row, or one with ``error``."""
    command = [
        sys.executable,
        osp.abspath(__file__), args.config, args.checkpoint, '--child',
        spec.label, '--out', out, '--device', args.device
    ]
    if args.threads:
        command += ['--threads', str(args.threads)]
    if args.no_malloc_tuning:
        command.append('--no-malloc-tuning')
    if dataset is None:
        command += ['--video', args.video]
    else:
        command += ['--ann', dataset.ann_file, '--img-root', dataset.img_root]
    rows, error = run_child(command)
    if error or not rows:
        return dict(mode=spec.label, error=error or 'no result')
    return rows[-1]


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def _number(value: Optional[float], digits: int = 3) -> str:
    if value is None or value != value:  # None or NaN
        return 'n/a'
    return f'{value:.{digits}f}'


def speed_memory_cells(row: dict, device: str) -> List[str]:
    """Latency, s/frame, peak RSS (and peak GPU) cells of a run."""
    latency = row['latency']
    cells = [
        f'T (longest {row["longest"]})' if latency is None else str(latency),
        _number(row['seconds'] / max(row['frames'], 1), 4),
        _number(row['peak_rss_gb'], 2)
    ]
    if device.startswith('cuda'):
        cells.append(_number(row['peak_gpu_gb'], 2))
    return cells


def markdown_table(header: List[str], rows: List[List[str]]) -> str:
    lines = [
        '| ' + ' | '.join(header) + ' |',
        '| ' + ' | '.join(['---'] * len(header)) + ' |'
    ]
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def failed_row(row: dict, width: int) -> List[str]:
    return [row['mode'], f'failed: {last_error_line(row["error"])}'] + [''] * (
        width - 2)


def memory_header(device: str) -> List[str]:
    return ['latency (frames)', 's / frame', 'peak RSS (GB)'
            ] + (['peak GPU (GB)'] if device.startswith('cuda') else [])


def compare_on_set(args: argparse.Namespace, dataset: AnnotatedSet,
                   specs: List[ModeSpec]) -> Tuple[str, bool]:
    """Run every mode on a set; its markdown section and whether every
    mode ran."""
    out_dir = osp.join(args.work_dir, dataset.name)
    os.makedirs(out_dir, exist_ok=True)
    header = ['mode', 'AP', 'AP50', 'HOTA', 'IDF1', 'IDSW'] + memory_header(
        args.device)
    rows, ok = [], True
    for spec in specs:
        print(f'{dataset.name}: {spec.label} ...', file=sys.stderr, flush=True)
        results_file = osp.join(out_dir, f'{spec.file_stem}.json')
        row = run_mode(args, spec, results_file, dataset)
        if 'error' in row:
            rows.append(failed_row(row, len(header)))
            ok = False
            continue
        with open(results_file) as f:
            results = json.load(f)
        ap = youtube_vis_ap(dataset.ann_file, results)
        identity = identity_metrics(results_file, dataset.ann_file,
                                    args.score_thr)
        rows.append([
            spec.label,
            _number(ap['AP']),
            _number(ap['AP50']),
            _number(identity['HOTA']),
            _number(identity['IDF1']),
            str(int(identity['IDSW']))
        ] + speed_memory_cells(row, args.device))
    section = '\n'.join([
        f'### {dataset.name}: {dataset.ann_file} ({len(dataset.videos)} '
        f'videos, {dataset.num_frames} frames)', '',
        markdown_table(header, rows), '',
        f'HOTA, IDF1 and IDSW: tracks scoring >= {args.score_thr}, all '
        'classes pooled (fractions; `eval_identity.py` prints percent). '
        f'{run_conditions(args)}'
    ])
    with open(osp.join(args.work_dir, f'{dataset.name}.md'), 'w') as f:
        f.write(section + '\n')
    return section, ok


def compare_on_video(args: argparse.Namespace,
                     specs: List[ModeSpec]) -> Tuple[str, bool]:
    """Run every mode on ``--video``; how far each is from offline."""
    name = osp.splitext(osp.basename(osp.normpath(args.video)))[0]
    out_dir = osp.join(args.work_dir, name)
    os.makedirs(out_dir, exist_ok=True)
    header = [
        'mode', 'mean best IoU with offline', 'offline masks at IoU >= 0.5',
        'tracks'
    ] + memory_header(args.device)
    runs = []
    for spec in specs:
        print(f'{name}: {spec.label} ...', file=sys.stderr, flush=True)
        results_file = osp.join(out_dir, f'{spec.file_stem}.json')
        runs.append(
            (spec, results_file, run_mode(args, spec, results_file, None)))
    offline = next((results_file for spec, results_file, row in runs
                    if spec.mode == 'offline' and 'error' not in row), None)
    if offline is not None:
        with open(offline) as f:
            offline = json.load(f)
    rows, ok, pairs = [], True, 0
    for spec, results_file, row in runs:
        if 'error' in row:
            rows.append(failed_row(row, len(header)))
            ok = False
            continue
        with open(results_file) as f:
            agreement = agreement_with_offline(offline or [], json.load(f),
                                               args.score_thr)
        pairs = agreement['pairs']
        rows.append([
            spec.label,
            _number(agreement['mean_iou']),
            _number(agreement['matched']),
            str(row['tracks'])
        ] + speed_memory_cells(row, args.device))
    lines = [
        f'### {name}: {args.video}', '',
        markdown_table(header, rows), '',
        f'Offline instances scoring >= {args.score_thr}: {pairs} (frame, '
        f'instance) pairs compared. {run_conditions(args)}'
    ]
    if any(spec.mode == 'online' for spec in specs):
        reference = next(spec for spec in specs if spec.mode == 'offline')
        chunk_size = reference.options.get('chunk_size', DEFAULT_CHUNK_SIZE)
        diff = online_last_frame_vs_offline(args, chunk_size)
        lines.append(
            '\nOnline after the last frame vs offline (chunks of '
            f'{chunk_size or "the whole video"}): class probabilities '
            f'differ by at most {diff["class_probabilities"]:.2e}, instance '
            f'queries by at most {diff["instance_queries"]:.2e}.')
    section = '\n'.join(lines)
    with open(osp.join(args.work_dir, f'{name}.md'), 'w') as f:
        f.write(section + '\n')
    return section, ok


def online_last_frame_vs_offline(
        args: argparse.Namespace,
        chunk_size: Optional[int] = DEFAULT_CHUNK_SIZE) -> dict:
    """Largest absolute differences between online's class probabilities
    (Q, K) and instance queries (Q, C) after the last frame and
    offline's, on ``--video``: the model-level inferences fed as
    ``stream_vis`` and ``inference_vis`` feed them (online one frame at a
    time, offline ``chunk_size`` frames at a time)."""
    import torch

    from mmseqformer.apis import (build_vis_test_pipeline, init_vis_model,
                                  iter_frame_chunks, open_video_source,
                                  preprocess_frames)
    from mmseqformer.apis.streaming import build_causal_inference
    from mmseqformer.models.vis import OfflineVideoInference
    if args.threads:
        torch.set_num_threads(args.threads)
    model = init_vis_model(args.config, args.checkpoint, device=args.device)
    source = open_video_source(args.video)
    length = source.known_length()
    pipeline = build_vis_test_pipeline(model.cfg)
    online = build_causal_inference(model, 'online')
    offline = OfflineVideoInference(model, length)
    first_frame = 0
    with torch.no_grad():
        for frames in iter_frame_chunks(source, chunk_size):
            offline.add_chunk(*preprocess_frames(model, pipeline, frames,
                                                 first_frame, length))
            for index, frame in enumerate(frames, first_frame):
                online.push(*preprocess_frames(model, pipeline, [frame], index,
                                               length))
            first_frame += len(frames)
        offline.finish()
    return dict(
        class_probabilities=float((online.cls_scores.sigmoid() -
                                   offline.cls_scores.sigmoid()).abs().max()),
        instance_queries=float(
            (online.inst_queries - offline.inst_queries).abs().max()))


def run_conditions(args: argparse.Namespace) -> str:
    threads = args.threads or 'default'
    malloc = 'glibc defaults' if args.no_malloc_tuning else 'tuned'
    return (f'Device {args.device}, torch threads {threads}, malloc '
            f'{malloc}; config `{args.config}`, checkpoint '
            f'`{args.checkpoint}`.')


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='model checkpoint')
    parser.add_argument(
        '--ann',
        action='append',
        default=[],
        help='YouTube-VIS annotation file of a set (repeat for more sets)')
    parser.add_argument(
        '--img-root',
        action='append',
        default=[],
        help='frame folder of the matching --ann (file_names are relative '
        'to it)')
    parser.add_argument(
        '--video',
        help='one video (file or frame folder) without ground '
        'truth: compare every mode with offline')
    parser.add_argument(
        '--modes',
        nargs='+',
        default=[
            'offline', 'online', 'window:4', 'window:8', 'clips:3', 'clips:5'
        ],
        help='modes to run, e.g. offline online window:8 clips:5:1')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=DEFAULT_SCORE_THR,
        help='lowest score of a track counted by the identity metrics, and '
        'of an offline instance compared with --video')
    parser.add_argument(
        '--threads', type=int, help='torch threads of each run')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--no-malloc-tuning',
        action='store_true',
        help='keep glibc malloc defaults (the video demo tunes them)')
    parser.add_argument('--work-dir', default='work_dirs/compare_modes')
    parser.add_argument('--out', help=argparse.SUPPRESS)
    parser.add_argument('--child', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> List[ModeSpec]:
    """Every input checked before the first run; the parsed modes."""
    if bool(args.ann) == bool(args.video):
        raise ValueError('give --ann/--img-root pairs or --video (not both)')
    if len(args.ann) != len(args.img_root):
        raise ValueError(f'{len(args.ann)} --ann but {len(args.img_root)} '
                         '--img-root: give one --img-root per --ann')
    for path, what in [(args.config, 'config'),
                       (args.checkpoint, 'checkpoint')] + [
                           (ann, 'annotation file') for ann in args.ann
                       ] + [(root, 'frame folder') for root in args.img_root]:
        if not osp.exists(path):
            raise FileNotFoundError(f'{what} not found: {path}')
    if args.video and not osp.exists(args.video):
        raise FileNotFoundError(f'video not found: {args.video}')
    specs = [parse_mode_spec(label) for label in args.modes]
    labels = [spec.file_stem for spec in specs]
    if len(set(labels)) < len(labels):
        raise ValueError(f'--modes lists a mode twice: {args.modes}')
    if args.video and not any(spec.mode == 'offline' for spec in specs):
        specs.insert(0, parse_mode_spec('offline'))  # the reference
    return specs


def set_names(ann_files: List[str]) -> List[str]:
    """``valid`` for ``.../valid.json``; numbered where names repeat."""
    names = [osp.splitext(osp.basename(path))[0] for path in ann_files]
    return [
        f'{name}_{index}' if names.count(name) > 1 else name
        for index, name in enumerate(names)
    ]


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        child(args)
        return
    try:
        specs = check_args(args)
        if not args.video:
            import_trackeval_runner()  # before any long run
            datasets = [
                load_annotated_set(ann, root, name) for ann, root, name in zip(
                    args.ann, args.img_root, set_names(args.ann))
            ]
    except (ValueError, FileNotFoundError, ImportError) as error:
        sys.exit(f'error: {error}')
    os.makedirs(args.work_dir, exist_ok=True)
    if args.video:
        sections = [compare_on_video(args, specs)]
    else:
        sections = [
            compare_on_set(args, dataset, specs) for dataset in datasets
        ]
    print('\n\n'.join(section for section, _ in sections))
    print(f'\nResults files and tables: {args.work_dir}')
    if not all(ok for _, ok in sections):
        sys.exit('error: some modes failed (see the tables)')


if __name__ == '__main__':
    main()

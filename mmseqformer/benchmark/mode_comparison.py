"""Compare the inference modes: AP, identity, latency, speed and memory
(``tools/analysis_tools/benchmark.py modes``).

On annotated sets, one table per annotation file: YouTube-VIS AP and AP50
and HOTA, IDF1 and ID switches (:mod:`.set_metrics`), then latency in
frames (how long a frame waits for its answer: the inference's
``latency``, the video for ``offline``), seconds per frame (inference
time, frame decoding included, over all frames of the set) and peak
resident memory of the process (``ru_maxrss``: model, Python and the
largest video of the set). On one video without annotations, how far each
mode is from ``offline`` (:mod:`.mode_agreement`).

Each (set, mode) runs in a fresh process (:mod:`.child_process`), so its
peak memory is its own; ``threads`` sets torch's threads there, and
glibc's malloc is tuned as the video demo tunes it (unless
``no_malloc_tuning``). Every mode's YouTube-VIS results file and the
tables are written to ``work_dir``.
"""
import inspect
import json
import os
import os.path as osp
import sys
import time
from typing import List, Optional, Tuple

from mmseqformer.apis import inference_vis
from .annotated_sets import (AnnotatedSet, AnnotatedVideo, build_frame_loader,
                             label_category_ids, load_annotated_set)
from .child_process import child_command, emit, last_error_line, run_one_row
from .markdown import markdown_table, number_cell
from .memory import process_peak_rss_gb
from .mode_agreement import (agreement_with_offline,
                             online_last_frame_vs_offline)
from .mode_specs import ModeSpec, parse_mode_spec
from .set_metrics import identity_metrics, youtube_vis_ap
from .timing import synchronize

#: Frames per chunk of the offline mode unless ``offline:N`` says.
DEFAULT_CHUNK_SIZE = inspect.signature(
    inference_vis).parameters['chunk_size'].default

# --- one mode in a fresh process ---------------------------------------------


def child(settings: dict) -> None:
    """Run one mode on every video of a set (``ann``/``img_root``) or on
    ``video``; write its results file (``out``); emit one row."""
    import torch

    from mmseqformer.apis import init_vis_model, open_video_source
    from mmseqformer.models.vis import build_video_inference
    from mmseqformer.utils import tune_glibc_malloc
    if not settings['no_malloc_tuning']:
        tune_glibc_malloc()  # as the video demo
    if settings['threads']:
        torch.set_num_threads(settings['threads'])
    spec = parse_mode_spec(settings['mode'])
    device = settings['device']
    model = init_vis_model(
        settings['config'], settings['checkpoint'], device=device)
    if settings['video']:
        videos = [(1, open_video_source(settings['video']))]
        category_ids = None
    else:
        dataset = load_annotated_set(settings['ann'], settings['img_root'])
        load_frame = build_frame_loader(model.cfg)
        videos = [(video_id, AnnotatedVideo(name, video_id, paths, load_frame))
                  for video_id, name, paths in dataset.videos]
        category_ids = label_category_ids(
            model.dataset_meta.get('classes'), dataset.categories,
            dataset.ann_file)
    # None for offline: a frame waits for the whole video.
    latency = build_video_inference(model, spec.mode, **spec.options).latency
    results, frames, seconds, tracks, longest = [], 0, 0.0, 0, 0
    for video_id, source in videos:
        start = time.perf_counter()
        prediction = inference_vis(
            model, source, mode=spec.mode, **spec.options)
        synchronize(device)
        seconds += time.perf_counter() - start
        frames += len(prediction)
        longest = max(longest, len(prediction))
        tracks += len(prediction.scores)
        results += prediction.to_ytvis(video_id, category_ids)
    with open(settings['out'], 'w') as f:
        json.dump(results, f)
    emit(
        dict(
            mode=spec.label,
            videos=len(videos),
            frames=frames,
            longest=longest,
            tracks=tracks,
            seconds=seconds,
            latency=latency,
            peak_rss_gb=process_peak_rss_gb(),
            peak_gpu_gb=torch.cuda.max_memory_allocated(device) /
            2**30 if device.startswith('cuda') else None,
            threads=torch.get_num_threads()))


def run_mode(settings: dict, spec: ModeSpec, out: str,
             dataset: Optional[AnnotatedSet]) -> dict:
    """Run :func:`child` in a fresh process; its row, or one with
    ``error``."""
    payload = dict(settings, mode=spec.label, out=out, ann=None, img_root=None)
    if dataset is not None:
        payload.update(ann=dataset.ann_file, img_root=dataset.img_root)
    command = child_command(sys.executable,
                            'mmseqformer.benchmark.mode_comparison:child',
                            payload)
    return run_one_row(command, mode=spec.label)


# --- tables ------------------------------------------------------------------


def speed_memory_cells(row: dict, device: str) -> List[str]:
    """Latency, s/frame, peak RSS (and peak GPU) cells of a run."""
    latency = row['latency']
    cells = [
        f'T (longest {row["longest"]})' if latency is None else str(latency),
        number_cell(row['seconds'] / max(row['frames'], 1), 4),
        number_cell(row['peak_rss_gb'], 2)
    ]
    if device.startswith('cuda'):
        cells.append(number_cell(row['peak_gpu_gb'], 2))
    return cells


def failed_row(row: dict, width: int) -> List[str]:
    return [row['mode'], f'failed: {last_error_line(row["error"])}'] + [''] * (
        width - 2)


def memory_header(device: str) -> List[str]:
    return ['latency (frames)', 's / frame', 'peak RSS (GB)'
            ] + (['peak GPU (GB)'] if device.startswith('cuda') else [])


def run_conditions(settings: dict) -> str:
    threads = settings['threads'] or 'default'
    malloc = 'glibc defaults' if settings['no_malloc_tuning'] else 'tuned'
    return (f'Device {settings["device"]}, torch threads {threads}, malloc '
            f'{malloc}; config `{settings["config"]}`, checkpoint '
            f'`{settings["checkpoint"]}`.')


def write_section(settings: dict, name: str, lines: List[str]) -> str:
    section = '\n'.join(lines)
    with open(osp.join(settings['work_dir'], f'{name}.md'), 'w') as f:
        f.write(section + '\n')
    return section


def compare_on_set(settings: dict, dataset: AnnotatedSet,
                   specs: List[ModeSpec]) -> Tuple[str, bool]:
    """Run every mode on a set; its markdown section and whether every
    mode ran."""
    out_dir = osp.join(settings['work_dir'], dataset.name)
    os.makedirs(out_dir, exist_ok=True)
    device = settings['device']
    header = ['mode', 'AP', 'AP50', 'HOTA', 'IDF1', 'IDSW'
              ] + memory_header(device)
    rows, ok = [], True
    for spec in specs:
        print(f'{dataset.name}: {spec.label} ...', file=sys.stderr, flush=True)
        results_file = osp.join(out_dir, f'{spec.file_stem}.json')
        row = run_mode(settings, spec, results_file, dataset)
        if 'error' in row:
            rows.append(failed_row(row, len(header)))
            ok = False
            continue
        with open(results_file) as f:
            results = json.load(f)
        ap = youtube_vis_ap(dataset.ann_file, results)
        identity = identity_metrics(results_file, dataset.ann_file,
                                    settings['score_thr'])
        rows.append([
            spec.label,
            number_cell(ap['AP']),
            number_cell(ap['AP50']),
            number_cell(identity['HOTA']),
            number_cell(identity['IDF1']),
            str(int(identity['IDSW']))
        ] + speed_memory_cells(row, device))
    return write_section(settings, dataset.name, [
        f'### {dataset.name}: {dataset.ann_file} ({len(dataset.videos)} '
        f'videos, {dataset.num_frames} frames)', '',
        markdown_table(header, rows), '',
        f'HOTA, IDF1 and IDSW: tracks scoring >= {settings["score_thr"]}, '
        'all classes pooled (fractions; `eval_identity.py` prints percent). '
        f'{run_conditions(settings)}'
    ]), ok


def compare_on_video(settings: dict,
                     specs: List[ModeSpec]) -> Tuple[str, bool]:
    """Run every mode on ``video``; how far each is from offline (the
    first offline mode of ``specs``, which must hold one)."""
    video, device = settings['video'], settings['device']
    name = osp.splitext(osp.basename(osp.normpath(video)))[0]
    out_dir = osp.join(settings['work_dir'], name)
    os.makedirs(out_dir, exist_ok=True)
    header = [
        'mode', 'mean best IoU with offline', 'offline masks at IoU >= 0.5',
        'tracks'
    ] + memory_header(device)
    runs = []
    for spec in specs:
        print(f'{name}: {spec.label} ...', file=sys.stderr, flush=True)
        results_file = osp.join(out_dir, f'{spec.file_stem}.json')
        runs.append(
            (spec, results_file, run_mode(settings, spec, results_file, None)))
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
                                               settings['score_thr'])
        pairs = agreement['pairs']
        rows.append([
            spec.label,
            number_cell(agreement['mean_iou']),
            number_cell(agreement['matched']),
            str(row['tracks'])
        ] + speed_memory_cells(row, device))
    lines = [
        f'### {name}: {video}', '',
        markdown_table(header, rows), '',
        f'Offline instances scoring >= {settings["score_thr"]}: {pairs} '
        f'(frame, instance) pairs compared. {run_conditions(settings)}'
    ]
    if any(spec.mode == 'online' for spec in specs):
        reference = next(spec for spec in specs if spec.mode == 'offline')
        chunk_size = reference.options.get('chunk_size', DEFAULT_CHUNK_SIZE)
        diff = online_vs_offline(settings, chunk_size)
        lines.append(
            '\nOnline after the last frame vs offline (chunks of '
            f'{chunk_size or "the whole video"}): class probabilities '
            f'differ by at most {diff["class_probabilities"]:.2e}, instance '
            f'queries by at most {diff["instance_queries"]:.2e}.')
    return write_section(settings, name, lines), ok


def online_vs_offline(settings: dict, chunk_size: Optional[int]) -> dict:
    """:func:`online_last_frame_vs_offline` with the settings' model."""
    import torch

    from mmseqformer.apis import init_vis_model
    if settings['threads']:
        torch.set_num_threads(settings['threads'])
    model = init_vis_model(
        settings['config'], settings['checkpoint'], device=settings['device'])
    return online_last_frame_vs_offline(model, settings['video'], chunk_size)


def compare_modes(settings: dict, specs: List[ModeSpec],
                  datasets: List[AnnotatedSet]) -> Tuple[str, bool]:
    """Every section (one per set, or the video's), joined, and whether
    every mode ran."""
    os.makedirs(settings['work_dir'], exist_ok=True)
    if settings['video']:
        sections = [compare_on_video(settings, specs)]
    else:
        sections = [
            compare_on_set(settings, dataset, specs) for dataset in datasets
        ]
    return ('\n\n'.join(section for section, _ in sections),
            all(ok for _, ok in sections))


def check_inputs(settings: dict) -> Tuple[List[ModeSpec], list]:
    """Every input checked before the first run: the parsed modes (with
    offline first when ``video`` needs it as the reference) and the
    annotated sets.

    Raises:
        ValueError, FileNotFoundError, ImportError: What is wrong, naming
            the file or the mode.
    """
    from mmseqformer.evaluation.functional import import_trackeval_runner
    from .annotated_sets import set_names
    ann, img_root, video = (settings['ann'], settings['img_root'],
                            settings['video'])
    if bool(ann) == bool(video):
        raise ValueError('give --ann/--img-root pairs or --video (not both)')
    if len(ann) != len(img_root):
        raise ValueError(f'{len(ann)} --ann but {len(img_root)} '
                         '--img-root: give one --img-root per --ann')
    for path, what in [(settings['config'], 'config'),
                       (settings['checkpoint'], 'checkpoint')] + [
                           (path, 'annotation file') for path in ann
                       ] + [(root, 'frame folder') for root in img_root]:
        if not osp.exists(path):
            raise FileNotFoundError(f'{path}: {what} not found')
    if video and not osp.exists(video):
        raise FileNotFoundError(f'{video}: video not found')
    specs = [parse_mode_spec(label) for label in settings['modes']]
    stems = [spec.file_stem for spec in specs]
    if len(set(stems)) < len(stems):
        raise ValueError(f'--modes lists a mode twice: {settings["modes"]}')
    if video:
        if not any(spec.mode == 'offline' for spec in specs):
            specs.insert(0, parse_mode_spec('offline'))  # the reference
        return specs, []
    import_trackeval_runner()  # before any long run
    return specs, [
        load_annotated_set(path, root, name)
        for path, root, name in zip(ann, img_root, set_names(ann))
    ]

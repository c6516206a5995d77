"""Segment and track the instances of a video; write an mp4 and a JSON.

    python tools/demo/video_demo.py INPUT CONFIG CHECKPOINT --out OUT.mp4 \
        [--mode offline|online|window|clips] [--mode-options window=8] \
        [--score-thr 0.3] [--chunk-size 4] [--out-json OUT.json] \
        [--out-masks DIR] [--device cpu] [--backend pytorch|onnxruntime]

INPUT is a video file (mp4, avi, ...), a folder of frames, a camera index
(``0``) or a stream URL (``rtsp://...``). In the default ``offline`` mode
the video is streamed through the model ``--chunk-size`` frames at a time
(exactly the whole-video result, with memory that does not grow with the
video; 0 runs the whole video in one pass, as the official code). The
``online``, ``window`` and ``clips`` modes decide frames while the video
plays (``mmseqformer.apis.stream_vis``; ``--mode-options`` sets their
options) and draw each frame as soon as it is decided, so they also run on
a camera or a stream (Ctrl+C stops; the outputs then hold the frames so
far). OUT.mp4 shows each
instance in its own colour with its class, id and score; the JSON
(``--out-json``, alias ``--json``; default: OUT.json) holds the predictions
in the YouTube-VIS results format. ``--out-masks DIR`` also writes one
instance-id PNG per frame (DIR/00000.png ...: pixel value = id + 1, 0 =
background, the higher score on top where masks overlap) and
DIR/instances.json (each id's class, score, first and last frame), for the
instances scoring at least ``--score-thr``. Every output appears only when
complete.

A checkpoint whose keys or shapes do not fit the model stops the demo
before it writes anything, with the keys named (``--non-strict`` loads the
keys that fit). Any other mistake in the input (a missing, empty or
non-video INPUT, a config or checkpoint that is missing or cannot be read)
stops it with one line, ``error: <file>: <what>``, and a non-zero exit
status.
"""
import argparse
import json
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction

from mmseqformer import apis
from mmseqformer.apis.video_prediction import INSTANCES_FILE
from mmseqformer.utils import (atomic_output_path, check_replaceable_folder,
                               report_user_errors, tune_glibc_malloc)
from mmseqformer.utils.tool_config import add_non_strict_argument


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'input',
        help='video file, folder of frames, camera index or stream URL')
    parser.add_argument('config', help='model config')
    parser.add_argument(
        'checkpoint',
        help='model checkpoint (with --backend onnxruntime: the folder '
        'written by tools/deployment/export_onnx.py)')
    parser.add_argument('--out', required=True, help='output mp4')
    parser.add_argument(
        '--out-json',
        '--json',
        dest='out_json',
        help='output predictions, YouTube-VIS results format (default: OUT '
        'with .json)')
    parser.add_argument(
        '--out-masks',
        metavar='DIR',
        help='also write one instance-id PNG per frame and instances.json '
        'here (instances scoring at least --score-thr)')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='lowest score drawn')
    parser.add_argument(
        '--mode',
        default='offline',
        choices=apis.MODES,
        help='offline: the whole video (official); online/window/clips: '
        'frames decided while the video plays')
    parser.add_argument(
        '--mode-options',
        nargs='+',
        action=DictAction,
        default={},
        help='options of the mode, e.g. window=8, clip_length=5 overlap=1')
    parser.add_argument(
        '--chunk-size',
        type=int,
        default=4,
        help='frames per streaming chunk; 0: whole video in one pass')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--backend',
        default='pytorch',
        choices=['pytorch', 'onnxruntime'],
        help='what runs the network (onnxruntime: an exported '
        'model, docs/user_guides/deployment.md)')
    parser.add_argument('--fps', type=float, help='output frame rate')
    add_non_strict_argument(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries')
    return parser.parse_args()


# FileExistsError: --out-masks names a folder the demo did not write.
@report_user_errors(FileExistsError)
def main() -> None:
    args = parse_args()
    tune_glibc_malloc()  # faster CPU inference (mmseqformer.utils)
    source = apis.open_video_source(
        int(args.input) if args.input.isdigit() else args.input)
    if args.mode == 'offline' and not source.replayable:
        raise SystemExit(f'error: {source.name}: the offline mode draws the '
                         'video after the whole of it is read; use --mode '
                         'online, window or clips for a live source')
    if args.out_masks:  # before the long work: refuse a folder not ours
        check_replaceable_folder(args.out_masks, INSTANCES_FILE)
    model = apis.init_vis_model(
        args.config,
        args.checkpoint,
        args.device,
        args.cfg_options,
        strict=not args.non_strict,
        backend=args.backend)
    length = source.known_length()
    print(f'{source.name}: predicting '
          f'{length if length is not None else "live"} frames '
          f'({args.mode} mode)')
    visualizer = apis.build_video_visualizer(model)
    if args.mode == 'offline':
        prediction = apis.inference_vis(
            model, source, chunk_size=args.chunk_size or None, progress=True)
    else:
        prediction = draw_while_streaming(model, source, args, visualizer)
    json_path = args.out_json or osp.splitext(args.out)[0] + '.json'
    results = prediction.to_ytvis(
        video_id=1, category_ids=model.dataset_meta.get('cat_ids'))
    for entry in results:
        entry['video_name'] = source.name
    with atomic_output_path(json_path) as tmp_path:
        with open(tmp_path, 'w') as f:
            json.dump(results, f)
    if args.out_masks:
        written_ids = prediction.write_instance_pngs(
            args.out_masks,
            score_thr=args.score_thr,
            category_ids=model.dataset_meta.get('cat_ids'))['instances']
        print(f'\nwrote {len(prediction)} instance-id PNGs with '
              f'{len(written_ids)} instances to {args.out_masks}')
    if args.mode == 'offline':
        print(f'\n{len(prediction.scores)} instances; drawing')
        written = apis.write_prediction_video(
            prediction,
            source,
            args.out,
            visualizer,
            score_thr=args.score_thr,
            fps=args.fps,
            progress=True)
    else:
        written = len(prediction)
    print(f'\nwrote {args.out} ({written} frames) and {json_path}')


def draw_while_streaming(model, source, args,
                         visualizer) -> apis.VideoPrediction:
    """Draw each frame as soon as the mode decides it; Ctrl+C ends the
    video early (a camera or a stream has no end)."""
    collector = apis.VideoCollector()
    with apis.open_mp4_writer(args.out, args.fps or source.fps) as write:
        try:
            for frame in apis.stream_vis(
                    model,
                    source,
                    mode=args.mode,
                    progress=True,
                    **args.mode_options):
                collector.add(frame.instances)
                write(
                    apis.draw_instances(visualizer, frame.image,
                                        frame.instances, args.score_thr))
        except KeyboardInterrupt:
            print(f'\nstopped after {len(collector.frames)} frames')
    return collector.finish(
        model.dataset_meta.get('classes'), source.announced_frames)


if __name__ == '__main__':
    main()

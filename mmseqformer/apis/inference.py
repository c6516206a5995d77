"""Build a SeqFormer from a config and checkpoint; run it on a video.

    >>> from mmseqformer.apis import init_vis_model, inference_vis
    >>> model = init_vis_model('configs/seqformer_r50.py', 'seqformer.pth')
    >>> result = inference_vis(model, 'street.mp4', chunk_size=4)
    >>> result.frame_instances(0)  # masks, bboxes, labels, scores, ids

``chunk_size=None`` runs the whole video in one pass (the official
approach, memory growing with the video); a chunk size streams it through
:class:`OfflineVideoInference` with the same result and bounded memory.
"""
import copy
import itertools
from typing import Iterator, List, Optional, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmdet.registry import MODELS
from mmdet.structures import TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.utils import ProgressBar
from torch import Tensor, nn

from ..models.vis import OfflineVideoInference
from ..utils.checkpoint_fit import check_fits, read_checkpoint
from .video_prediction import PredictionCollector, VideoPrediction
from .video_source import VideoSource, open_video_source

#: Test-pipeline steps that read files; arrays replace them.
FILE_STEPS = ('LoadImageFromFile', 'LoadVideoFrameFromFile',
              'LoadTrackAnnotations', 'LoadAnnotations')


def init_vis_model(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None,
                   strict: bool = True) -> nn.Module:
    """A model in eval mode, with ``cfg`` and ``dataset_meta`` attached.

    Class names come from the checkpoint's meta, else from the config's
    test dataset.

    Args:
        config (str or Config): The model config.
        checkpoint (str, optional): Weights; None keeps the initialisation.
        device (str): Where the model runs.
        cfg_options (dict, optional): Config overrides.
        strict (bool): Stop with
            :class:`~mmseqformer.utils.CheckpointMismatchError`, naming the
            first missing, unexpected and misshapen keys, unless the
            checkpoint fits the model exactly. False loads the keys that fit
            (mmengine's behaviour, which logs the others).

    Returns:
        nn.Module: The model.
    """
    if isinstance(config, str):
        config = Config.fromfile(config)
    config = copy.deepcopy(config)
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'mmdet'))
    # Weights come from the checkpoint: do not fetch pretrained backbones.
    config.model.backbone.init_cfg = None
    # Read first: a file that is not a checkpoint fails before the build.
    loaded = read_checkpoint(checkpoint) if checkpoint is not None else {}
    model = MODELS.build(config.model)
    if checkpoint is not None:
        if strict:
            check_fits(
                model, loaded, checkpoint,
                hint='init_vis_model(..., strict=False) loads it anyway.')
        _load_checkpoint_to_model(model, loaded, strict=False)
    meta = dict((loaded.get('meta') or {}).get('dataset_meta') or {})
    if 'CLASSES' in meta:  # mmdet 2.x checkpoints
        meta['classes'] = meta.pop('CLASSES')
    if not meta.get('classes'):
        metainfo = config.get('test_dataloader',
                              {}).get('dataset', {}).get('metainfo', {})
        meta['classes'] = metainfo.get('classes')
    model.dataset_meta = meta
    model.cfg = config
    return model.to(device).eval()


def build_vis_test_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline, reading frames from arrays.

    The file-loading steps of its ``TransformBroadcaster`` are replaced by
    ``LoadImageFromNDArray``; resizing and packing stay as configured.
    """
    pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    broadcaster = pipeline[0]
    if broadcaster['type'] != 'TransformBroadcaster':
        raise ValueError('the test pipeline must start with a '
                         'TransformBroadcaster (as mmdet VIS configs do)')
    broadcaster['transforms'] = [dict(type='LoadImageFromNDArray')] + [
        step
        for step in broadcaster['transforms'] if step['type'] not in FILE_STEPS
    ]
    return Compose(pipeline)


def preprocess_frames(model: nn.Module, pipeline: Compose,
                      frames: List[np.ndarray], first_frame: int,
                      video_length: int) -> Tuple[Tensor, TrackDataSample]:
    """Frames -> (1, t, 3, H, W) normalised input and the
    ``TrackDataSample`` of those t frames (not padded with SeqFormer
    configs: ``SeqFormerDataPreprocessor`` pads training batches only)."""
    frame_ids = list(range(first_frame, first_frame + len(frames)))
    packed = pipeline(
        dict(
            img=list(frames),
            frame_id=frame_ids,
            img_id=frame_ids,
            ori_video_length=[video_length] * len(frames)))
    batch = model.data_preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
        False)
    return batch['inputs'], batch['data_samples'][0]


def iter_frame_chunks(source: VideoSource,
                      chunk_size: Optional[int]) -> Iterator[List[np.ndarray]]:
    """Lists of ``chunk_size`` frames (all frames when None), decoded lazily;
    frames must all have the first frame's size."""
    frames = iter(source)
    size = None
    index = 0
    while True:
        chunk = list(itertools.islice(frames, chunk_size))
        if not chunk:
            return
        for frame in chunk:
            size = size or frame.shape
            if frame.shape != size:
                raise ValueError(f'{source.name}: frame {index} is '
                                 f'{frame.shape}, frame 0 is {size}; all '
                                 'frames of a video must have one size')
            index += 1
        yield chunk


@torch.no_grad()
def inference_vis(model: nn.Module,
                  video,
                  chunk_size: Optional[int] = 4,
                  progress: bool = False) -> VideoPrediction:
    """Segment and track the instances of one video.

    Args:
        model (nn.Module): From :func:`init_vis_model`.
        video: A video file, a folder of frames, a (T, H, W, 3) array, a
            list of (H, W, 3) arrays (BGR) or a :class:`VideoSource`.
        chunk_size (int, optional): Frames per streaming chunk; None runs
            the whole video in one pass. Small chunks are fastest on a CPU
            (2-4 frames: activations stay in cache); on a GPU, larger
            chunks use it better. Memory grows with the chunk, not the
            video.
        progress (bool): Show a progress bar over the frames.

    Returns:
        VideoPrediction: per-frame instances with ids stable over the video.
    """
    source = open_video_source(video)
    pipeline = build_vis_test_pipeline(model.cfg)
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    classes = model.dataset_meta.get('classes')
    score_thr = model.track_head.test_cfg['score_thr']
    chunks = iter_frame_chunks(source, chunk_size)
    bar = ProgressBar(len(source)) if progress else None
    if chunk_size is None:
        frames = next(chunks, None)
        if frames is None:
            raise ValueError(f'{source.name}: the video has no frames')
        inputs, data_sample = preprocess_frames(model, pipeline, frames, 0,
                                                len(frames))
        sample = model.predict(inputs, [data_sample])[0]
        _advance(bar, len(frames))
        instances = [frame.pred_track_instances for frame in sample]
        # predict() has already dropped empty and low-scoring pairs.
        collector = PredictionCollector(instances[0].scores,
                                        instances[0].labels, score_thr)
        collector.add(torch.stack([inst.masks for inst in instances], 1))
        return collector.finish(classes, source.announced_frames)
    # The video's length matters only when some frames build the queries.
    stream = OfflineVideoInference(
        model,
        len(source)
        if model.track_head.test_cfg['embedding_frames'] is not None else None)
    first_frame = 0
    for frames in chunks:
        inputs, data_sample = preprocess_frames(model, pipeline, frames,
                                                first_frame, len(source))
        stream.add_chunk(inputs, data_sample)
        first_frame += len(frames)
        _advance(bar, len(frames))
    if first_frame == 0:
        raise ValueError(f'{source.name}: the video has no frames')
    selection = stream.finish()
    collector = PredictionCollector(selection.scores, selection.labels,
                                    score_thr)
    for _, masks in stream.masks():
        collector.add(masks)
    return collector.finish(classes, source.announced_frames)


def _advance(bar: Optional[ProgressBar], steps: int) -> None:
    if bar is not None:
        for _ in range(steps):
            bar.update()

"""Build a SeqFormer from a config and checkpoint; run it on a video.

    >>> from mmseqformer.apis import init_vis_model, inference_vis
    >>> model = init_vis_model('configs/seqformer_r50.py', 'seqformer.pth')
    >>> result = inference_vis(model, 'street.mp4', chunk_size=4)
    >>> result.frame_instances(0)  # masks, bboxes, labels, scores, ids

``chunk_size=None`` runs the whole video in one pass (the official
approach, memory growing with the video); a chunk size streams it through
the offline mode with the same result and bounded memory. :func:`stream_vis`
yields frames as they are decided, in the ``online``, ``window`` or
``clips`` modes while the video plays:

    >>> for frame in stream_vis(model, 0, mode='online'):  # camera 0
    ...     frame.frame_index, frame.instances.instances_id

Both run one loop (:func:`stream_vis`) over a
:class:`~mmseqformer.models.vis.VideoInference` of the mode;
:func:`inference_vis` collects its frames into a :class:`VideoPrediction`.
"""
from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Union

import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.structures import InstanceData
from torch import nn

from ..install_check import check_cuda_ops
from ..models.vis import build_video_inference, check_mode, mode_option_names
from ..ops import fold_batch_norms
from ..registry import VIS_BACKENDS, get_vis_backend
from ..utils.checkpoint_fit import check_fits, read_checkpoint
from ..utils.tool_config import load_model_config
from .preprocessing import (FrameProgress, build_vis_test_pipeline,
                            preprocess_frames)
from .video_prediction import VideoCollector, VideoPrediction
from .video_source import FrameReader, open_video_source


def init_vis_model(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None,
                   strict: bool = True,
                   backend: str = 'pytorch',
                   fold_bn: bool = True) -> nn.Module:
    """A model in eval mode, with ``cfg`` and ``dataset_meta`` attached.

    Class names come from the checkpoint's meta, else from the config's
    test dataset. With ``backend='onnxruntime'`` the network runs on
    ONNX Runtime: ``checkpoint`` is then a folder written by
    ``tools/deployment/export_onnx.py`` and the result an
    :class:`~mmseqformer.deploy.OnnxVisModel`, which every inference
    function takes as it takes the PyTorch model
    (``docs/user_guides/deployment.md``).

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
        backend (str): ``pytorch`` or ``onnxruntime``
            (:func:`~mmseqformer.registry.get_vis_backend`).
        fold_bn (bool): Fold the backbone's batch norms into its
            convolutions (:func:`~mmseqformer.ops.fold_batch_norms`): the
            same outputs up to float rounding, faster. The model is then
            for inference only; False keeps the batch norms (to train it
            or to save its ``state_dict`` with the checkpoint's keys).

    Returns:
        nn.Module: The model (an ``OnnxVisModel`` for ``onnxruntime``).
    """
    build = get_vis_backend(backend)
    model = build(config, checkpoint, device, cfg_options, strict)
    if fold_bn and isinstance(model, nn.Module) and hasattr(model, 'backbone'):
        fold_batch_norms(model.backbone)
    return model


@VIS_BACKENDS.register_module('pytorch')
def pytorch_backend(config: Union[str, Config], checkpoint: Optional[str],
                    device: str, cfg_options: Optional[dict],
                    strict: bool) -> nn.Module:
    """The ``pytorch`` backend of :func:`init_vis_model`."""
    check_cuda_ops(device)  # before the weights are read
    config = load_model_config(config, cfg_options)
    # Weights come from the checkpoint: do not fetch pretrained backbones.
    config.model.backbone.init_cfg = None
    # Read first: a file that is not a checkpoint fails before the build.
    loaded = read_checkpoint(checkpoint) if checkpoint is not None else {}
    model = MODELS.build(config.model)
    if checkpoint is not None:
        if strict:
            check_fits(
                model,
                loaded,
                checkpoint,
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


@dataclass
class FramePrediction:
    """One frame's instances.

    Attributes:
        frame_index (int): The frame's index in the video.
        instances (InstanceData): ``masks`` (k, H, W) bool at the frame's
            size, ``bboxes`` (k, 4) (x1, y1, x2, y2), ``labels``,
            ``scores`` and ``instances_id`` (k, ), ids stable over the
            video; the instances present in the frame.
        image (np.ndarray, optional): The (H, W, 3) BGR frame, for drawing
            (None in the offline mode, which decides frames after the end).
    """
    frame_index: int
    instances: InstanceData
    image: Optional[np.ndarray] = None


@torch.no_grad()
def inference_vis(model: nn.Module,
                  video,
                  chunk_size: Optional[int] = 4,
                  progress: bool = False,
                  mode: str = 'offline',
                  amp: bool = False,
                  **mode_options) -> VideoPrediction:
    """Segment and track the instances of one video.

    Args:
        model (nn.Module): From :func:`init_vis_model`.
        video: A video file, a folder of frames, a (T, H, W, 3) array, a
            list of (H, W, 3) arrays (BGR), any iterable of frames, a
            camera index, a stream URL or a :class:`VideoSource`.
        chunk_size (int, optional): ``offline`` mode: frames per streaming
            chunk; None runs the whole video in one pass. Small chunks are
            fastest on a CPU (2-4 frames: activations stay in cache); on a
            GPU, larger chunks use it better. Memory grows with the chunk,
            not the video.
        progress (bool): Show a progress bar over the frames.
        mode (str): ``offline`` (the whole video, official), ``online``,
            ``window`` or ``clips`` (see :func:`stream_vis`).
        amp (bool): Run the network in mixed precision (float16 on CUDA,
            bfloat16 on the CPU; the deformable sampling, the selection and
            the masks stay float32).
        **mode_options: Options of the mode (see :func:`stream_vis`).

    Returns:
        VideoPrediction: one entry per instance id, ids stable over the
        video (see :class:`VideoCollector`).
    """
    check_mode(mode)
    source = open_video_source(video)
    # Offline ids index the selected pairs; those that end without a mask
    # leave gaps, numbered away as in the official results.
    collector = VideoCollector(dense_ids=mode == 'offline')
    for frame in stream_vis(model, source, mode, chunk_size, progress, amp,
                            **mode_options):
        collector.add(frame.instances)
    return collector.finish(
        model.dataset_meta.get('classes'), source.announced_frames)


@torch.no_grad()
def stream_vis(model: nn.Module,
               video,
               mode: str = 'online',
               chunk_size: Optional[int] = 4,
               progress: bool = False,
               amp: bool = False,
               **mode_options) -> Iterator[FramePrediction]:
    """Segment and track the instances of a video frame by frame.

    Frames are read only when the mode needs them, and each frame is
    yielded as soon as it is decided, before more are read.

    Args:
        model (nn.Module): From :func:`init_vis_model`.
        video: Anything :func:`inference_vis` takes: a file, a folder,
            arrays, any iterable of frames, a camera index or a stream URL.
        mode (str): When frames are decided, and from what:

            - ``online``: frame t from frames 0..t, yielded before frame
              t + 1 is read (latency 0); ids are queries. Options
              ``max_per_frame`` (10), ``score_thr`` (0.05).
            - ``window``: frame t from frames t - W + 1..t (latency 0);
              ids linked by the similarity of instance queries, their
              frame features and the encoder's map under their masks,
              lost tracks re-identified from a memory and by the query
              that drew them. Options ``window`` (W, 8),
              ``similarity_thr`` (0.5), ``reid_thr`` (0.3),
              ``max_tracks`` (64), ``max_lost`` (None),
              ``appearance_weight`` (0.5), ``query_weight`` (0.3) and the
              above.
            - ``clips``: clips of ``clip_length`` (5) frames overlapping by
              ``overlap`` (1), each yielded when decided (latency
              clip_length - 1); linked frame by frame, by similarity and
              mask IoU with the frame before. Options
              as ``window`` otherwise.
            - ``offline``: the whole video (official), yielded after the
              end; ``chunk_size`` as in :func:`inference_vis`.

            Memory does not grow with the video in the first three.
        chunk_size (int, optional): ``offline`` only.
        progress (bool): Show a progress bar over the frames.
        amp (bool): Mixed precision, as in :func:`inference_vis`.

    Yields:
        FramePrediction: every frame in order.
    """
    check_mode(mode)
    source = open_video_source(video)
    length = source.known_length()
    if 'chunk_size' in mode_option_names(mode):  # the offline mode
        mode_options['chunk_size'] = chunk_size
    inference = build_video_inference(
        model, mode, num_frames=length, amp=amp, **mode_options)
    pipeline = build_vis_test_pipeline(model.cfg)
    reader = FrameReader(source)
    bar = FrameProgress(progress, length)
    # Frames read and not yet decided, kept for drawing unless the mode
    # decides them all at the end.
    images: Dict[int, np.ndarray] = {}
    keep_images = inference.latency is not None
    while True:
        first_frame = reader.count
        frames = reader.read(inference.frames_wanted())
        if not frames:
            break
        if keep_images:
            images.update(enumerate(frames, first_frame))
        inputs, data_sample = preprocess_frames(model, pipeline, frames,
                                                first_frame, length)
        bar.advance(len(frames))
        for frame_index, instances in inference.push(inputs, data_sample):
            yield FramePrediction(frame_index, instances,
                                  images.pop(frame_index, None))
    if reader.count == 0:
        raise ValueError(f'{source.name}: the video has no frames')
    for frame_index, instances in inference.flush():
        yield FramePrediction(frame_index, instances,
                              images.pop(frame_index, None))

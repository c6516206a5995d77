"""Build a SeqFormer from a config and checkpoint; run it on a video.

    >>> from mmseqformer.apis import init_vis_model, inference_vis
    >>> model = init_vis_model('configs/seqformer_r50.py', 'seqformer.pth')
    >>> result = inference_vis(model, 'street.mp4', chunk_size=4)
    >>> result.frame_instances(0)  # masks, bboxes, labels, scores, ids

``chunk_size=None`` runs the whole video in one pass (the official
approach, memory growing with the video); a chunk size streams it through
:class:`OfflineVideoInference` with the same result and bounded memory.
:func:`stream_vis` yields frames as they are decided, in the ``online``,
``window`` or ``clips`` modes while the video plays:

    >>> for frame in stream_vis(model, 0, mode='online'):  # camera 0
    ...     frame.frame_index, frame.instances.instances_id
"""
from typing import Iterator, Optional, Union

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from torch import nn

from ..install_check import check_cuda_ops
from ..models.vis import OfflineVideoInference
from ..utils.checkpoint_fit import check_fits, read_checkpoint
from ..utils.tool_config import load_model_config
from .preprocessing import (FrameProgress, build_vis_test_pipeline,
                            preprocess_frames)
from .streaming import (FramePrediction, causal_frame_predictions, check_mode)
from .track_collector import TrackCollector
from .video_prediction import PredictionCollector, VideoPrediction
from .video_source import iter_frame_chunks, open_video_source


def init_vis_model(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None,
                   strict: bool = True,
                   backend: str = 'pytorch') -> nn.Module:
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
        backend (str): ``pytorch`` or ``onnxruntime``.

    Returns:
        nn.Module: The model (an ``OnnxVisModel`` for ``onnxruntime``).
    """
    if backend == 'onnxruntime':
        if checkpoint is None:
            raise ValueError('the onnxruntime backend needs the exported '
                             'model folder as checkpoint')
        from ..deploy import init_onnx_vis_model
        return init_onnx_vis_model(checkpoint, config, device, cfg_options)
    if backend != 'pytorch':
        raise ValueError("backend must be 'pytorch' or 'onnxruntime', got "
                         f'{backend!r}')
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
        VideoPrediction: per-frame instances with ids stable over the video;
        in the other modes one entry per track (see
        :class:`TrackCollector`).
    """
    check_mode(mode)
    source = open_video_source(video)
    if mode != 'offline':
        collector = TrackCollector()
        for frame in causal_frame_predictions(
                model, source, mode, progress, amp=amp, **mode_options):
            collector.add(frame.instances)
        return collector.finish(
            model.dataset_meta.get('classes'), source.announced_frames)
    if mode_options:
        raise TypeError('the offline mode takes no options, got '
                        f'{sorted(mode_options)}')
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    pipeline = build_vis_test_pipeline(model.cfg)
    length = source.known_length()
    bar = FrameProgress(progress, length)
    # Only test_cfg.embedding_frames needs the video's length; a live
    # source's is known once it has been read whole.
    needs_length = model.track_head.test_cfg['embedding_frames'] is not None
    if needs_length and length is None:
        chunk_size = None
    video_inference = OfflineVideoInference(
        model, length if needs_length else None, amp=amp)
    first_frame = 0
    for frames in iter_frame_chunks(source, chunk_size):
        inputs, data_sample = preprocess_frames(model, pipeline, frames,
                                                first_frame, length)
        if needs_length and length is None:
            video_inference.expected_frames = len(frames)
        video_inference.add_chunk(inputs, data_sample)
        first_frame += len(frames)
        bar.advance(len(frames))
    if first_frame == 0:
        raise ValueError(f'{source.name}: the video has no frames')
    selection = video_inference.finish()
    collector = PredictionCollector(selection)
    for _, masks in video_inference.masks():
        collector.add(masks)
    return collector.finish(
        model.dataset_meta.get('classes'), source.announced_frames)


def stream_vis(model: nn.Module,
               video,
               mode: str = 'online',
               chunk_size: Optional[int] = 4,
               progress: bool = False,
               amp: bool = False,
               **mode_options) -> Iterator[FramePrediction]:
    """Segment and track the instances of a video frame by frame.

    Args:
        model (nn.Module): From :func:`init_vis_model`.
        video: Anything :func:`inference_vis` takes: a file, a folder,
            arrays, any iterable of frames, a camera index or a stream URL.
        mode (str): When frames are decided, and from what:

            - ``online``: frame t from frames 0..t, yielded before frame
              t + 1 is read (latency 0); ids are queries. Options
              ``max_per_frame`` (10), ``score_thr`` (0.05).
            - ``window``: frame t from frames t - W + 1..t (latency 0);
              ids linked by instance-query similarity. Options ``window``
              (W, 8), ``similarity_thr`` (0.5), ``max_lost`` (30) and the
              above.
            - ``clips``: clips of ``clip_length`` (5) frames overlapping by
              ``overlap`` (1), each yielded when decided (latency
              clip_length - 1); linked by similarity and mask IoU. Options
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
    if mode != 'offline':
        yield from causal_frame_predictions(
            model,
            open_video_source(video),
            mode,
            progress,
            amp=amp,
            **mode_options)
        return
    prediction = inference_vis(model, video, chunk_size, progress, mode, amp,
                               **mode_options)
    for frame_index in range(len(prediction)):
        yield FramePrediction(frame_index,
                              prediction.frame_instances(frame_index))

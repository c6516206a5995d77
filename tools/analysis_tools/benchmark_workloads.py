"""The work that ``benchmark_gpu.py`` times: video inference and training
steps, for our SeqFormer and for the official code.

Both codes are timed on the same inputs, doing what a user's run does:

- inference: frames (BGR ``uint8``) in, per-frame masks encoded as RLE
  out. Ours through :func:`inference_vis` (its test pipeline, data
  preprocessor and mask encoding); the official code as its
  ``inference.py`` does it for one video (normalised frames stacked, one
  ``model.inference`` pass over the whole video, the top 10 (query, class)
  pairs, masks upsampled to the frame, thresholded and RLE-encoded).
- training: one optimiser step on the same synthetic batch (2 clips of 5
  frames, ``mmseqformer.testing.synthetic_clips``): forward, losses,
  backward, gradient clipping at 0.1 and AdamW (the official recipe),
  with loss scaling under float16.

Mixed precision (``amp=True``) is ``torch.autocast``: float16 on CUDA,
bfloat16 on the CPU (whose autocast has no float16).
"""
import contextlib
import os.path as osp
import sys
from typing import Callable, List

import numpy as np
import pycocotools.mask as mask_util
import torch
import torch.nn.functional as F
from torch import nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
# mmseqformer is imported where our code needs it: the official code's
# functions run in children whose Python may have torch, torchvision and
# scipy only.

#: Normalisation of the official ``inference.py`` (RGB, in [0, 1]).
OFFICIAL_MEAN = (0.485, 0.456, 0.406)
OFFICIAL_STD = (0.229, 0.224, 0.225)
#: The official ``inference.py``: top pairs kept per video; its classes.
OFFICIAL_TOP_PAIRS = 10
OFFICIAL_NUM_CLASSES = 42
#: The official batch: clips per GPU and frames per clip.
TRAIN_CLIPS, TRAIN_FRAMES = 2, 5
#: Learning rate, weight decay and gradient clipping of the official
#: recipe (both codes' training steps use them).
LR, WEIGHT_DECAY, MAX_GRAD_NORM = 2e-4, 1e-4, 0.1


def amp_dtype(device: str) -> torch.dtype:
    """float16 on CUDA, bfloat16 on the CPU."""
    return torch.float16 if device.startswith('cuda') else torch.bfloat16


def autocast(device: str, amp: bool) -> contextlib.AbstractContextManager:
    return torch.autocast(
        device.split(':')[0], dtype=amp_dtype(device), enabled=amp)


# --- ours ----------------------------------------------------------------


def build_our_inference_model(config: str, device: str) -> nn.Module:
    from mmseqformer.apis import init_vis_model
    return init_vis_model(config, device=device)


def our_video_inference(model: nn.Module, mode: str, chunk_size: int,
                        amp: bool) -> Callable:
    """A function ``video -> prediction`` for ``mode``: ``whole`` (one
    pass), ``streaming`` (chunks of ``chunk_size``) or ``online`` (the
    engine's online mode), in mixed precision when ``amp``."""
    from mmseqformer.apis import inference_vis
    if mode == 'whole':
        options = dict(chunk_size=None)
    elif mode == 'streaming':
        options = dict(chunk_size=chunk_size)
    elif mode == 'online':
        options = dict(mode='online')
    else:
        raise ValueError(f'unknown mode {mode!r}')

    def run(video):
        return inference_vis(model, video, amp=amp, **options)

    return run


def build_our_training_model(config: str, device: str) -> nn.Module:
    """The config's model with random weights (the backbone is not loaded
    from a pretrained file), in training mode."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device).train()


def our_num_classes(model: nn.Module) -> int:
    return model.track_head.num_classes


def our_training_step(model: nn.Module, clips: List[dict], device: str,
                      amp: bool) -> Callable[[], dict]:
    """A function that runs one training step and returns the losses."""
    from mmseqformer.testing.synthetic_clips import training_batch
    inputs, samples = training_batch(clips, device=device)

    def losses() -> dict:
        return model(inputs, samples, mode='loss')

    return _training_step(model, losses, device, amp)


# --- the official code -----------------------------------------------------


def build_official_inference_model(root: str, device: str) -> nn.Module:
    """The model of the official ``inference.py`` (R50, box refinement,
    relative coordinates, 300 queries, 42 classes), random weights."""
    from official_seqformer import build_official_model
    _use_kernel_on_cuda(root, device)
    model, _, _ = build_official_model(root, script='inference.py')
    return model.to(device).eval()


def build_official_training_model(root: str, device: str,
                                  num_frames: int) -> tuple:
    """The model and criterion of the official R50 training scripts
    (``configs/r50_seqformer.sh``: box refinement, relative coordinates,
    masks, 300 queries, ``num_frames`` frames per clip)."""
    from official_seqformer import build_official_model
    _use_kernel_on_cuda(root, device)
    model, criterion, _ = build_official_model(
        root,
        script='main.py',
        dataset_file='YoutubeVIS',
        backbone='resnet50',
        with_box_refine=True,
        rel_coord=True,
        num_queries=300,
        num_frames=num_frames)
    model.detr.num_frames = num_frames
    return model.to(device).train(), criterion.to(device)


def _use_kernel_on_cuda(root: str, device: str) -> None:
    """On CUDA, run the official deformable attention with mmcv's CUDA
    kernel: the official code compiles the same kernel (Deformable DETR's
    ``ms_deform_attn``, which mmcv ships), called with the same arguments.
    ``official_seqformer`` routes it to the PyTorch reference, which is
    right on the CPU and would make the official code look slow on a GPU.
    """
    from official_seqformer import import_official
    official = import_official(root)
    if device.startswith('cuda'):
        from mmcv.ops.multi_scale_deform_attn import \
            MultiScaleDeformableAttnFunction
        official.msda.MSDeformAttnFunction = MultiScaleDeformableAttnFunction


def official_video_inference(model: nn.Module,
                             device: str) -> Callable[[object], list]:
    """A function ``video -> results``: the official ``inference.py`` on
    one video (its frames are 360p already, so its ``Resize(360)`` keeps
    them as they are), returning its result entries."""
    mean = torch.tensor(OFFICIAL_MEAN).view(3, 1, 1)
    std = torch.tensor(OFFICIAL_STD).view(3, 1, 1)

    def run(video) -> list:
        frames = []
        for frame in video:  # BGR uint8 -> normalised RGB, as ToTensor
            image = torch.from_numpy(np.ascontiguousarray(frame[..., ::-1]))
            image = image.permute(2, 0, 1).float().div(255)
            frames.append(((image - mean) / std)[None].to(device))
        images = torch.cat(frames)
        num_frames, _, height, width = images.shape
        model.detr.num_frames = num_frames
        outputs = model.inference(images, width, height)
        return _official_results(outputs, num_frames, height, width)

    return run


def _official_results(outputs: dict, num_frames: int, height: int,
                      width: int) -> list:
    """The entries of the official ``inference.py`` for one video."""
    logits = outputs['pred_logits'][0]
    masks = outputs['pred_masks'][0]
    scores = logits.sigmoid().cpu().detach().numpy()
    _, indices = torch.topk(
        logits.sigmoid().cpu().detach().flatten(0), k=OFFICIAL_TOP_PAIRS)
    hits = {}
    for index in indices.tolist():
        hits.setdefault(index // OFFICIAL_NUM_CLASSES,
                        []).append(index % OFFICIAL_NUM_CLASSES)
    results = []
    for query, classes in hits.items():
        query_masks = F.interpolate(
            masks[query][:, None], (height, width), mode='bilinear')
        binary = query_masks.sigmoid().cpu().detach().numpy() > 0.5
        if binary.max() == 0:
            continue
        for label in classes:
            score = scores[query, label]
            rles = None
            if score >= 0.001:
                rles = [
                    mask_util.encode(
                        np.array(
                            binary[t, 0].astype(np.uint8)[:, :, None],
                            order='F'))[0] for t in range(num_frames)
                ]
            results.append(dict(score=float(score), label=label, rles=rles))
    return results


def official_training_step(model: nn.Module, criterion: nn.Module, root: str,
                           clips: List[dict], device: str,
                           amp: bool) -> Callable[[], dict]:
    """A function that runs one official training step (as ``engine.py``'s
    ``train_one_epoch``) and returns the weighted losses."""
    from make_official_fixtures import official_targets
    from official_seqformer import import_official
    misc = import_official(root).misc
    samples = misc.nested_tensor_from_tensor_list(
        [clip['frames'].flatten(0, 1) for clip in clips],
        size_divisibility=32).to(device)
    targets = []
    for clip in clips:
        target = official_targets(clip)
        targets.append(
            dict(
                labels=target['labels'].to(device),
                boxes=target['boxes'].float().to(device),
                masks=target['masks'].float().to(device),
                size=target['size'].to(device)))
    weights = criterion.weight_dict

    def losses() -> dict:
        _, loss_dict = model(samples, targets, criterion, train=True)
        return {
            k: v * weights[k]
            for k, v in loss_dict.items() if k in weights
        }

    return _training_step(model, losses, device, amp)


# --- the peer: mmdet's Mask2Former-VIS ------------------------------------

#: mmdet's Mask2Former-VIS R50 (YouTube-VIS 2019), the peer users would
#: otherwise run.
PEER_CONFIG = ('mmdet::mask2former_vis/'
               'mask2former_r50_8xb2-8e_youtubevis2019.py')


def build_peer_inference_model(config: str, device: str) -> nn.Module:
    """mmdet's ``Mask2FormerVideo`` of ``config``, random weights."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.hub import get_config
    from mmengine.registry import init_default_scope
    # 'mmdet::...' names a config shipped inside mmdet.
    cfg = get_config(config) if '::' in config else Config.fromfile(config)
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.cfg = cfg
    return model.to(device).eval()


def peer_video_inference(model: nn.Module) -> Callable[[object], list]:
    """A function ``video -> RLEs``: mmdet's VIS test path for one video
    (its test pipeline on the frames as arrays, the data preprocessor, one
    ``predict`` over the whole video, as ``tools/test.py`` runs it), each
    frame's instance masks RLE-encoded."""
    from mmseqformer.apis.preprocessing import (build_vis_test_pipeline,
                                                preprocess_frames)
    pipeline = build_vis_test_pipeline(model.cfg)

    def run(video) -> list:
        frames = list(video)
        inputs, sample = preprocess_frames(model, pipeline, frames, 0,
                                           len(frames))
        result = model.predict(inputs, [sample], rescale=True)[0]
        return [[
            mask_util.encode(np.asfortranarray(mask)) for mask in
            frame.pred_track_instances.masks.cpu().numpy().astype(np.uint8)
        ] for frame in result]

    return run


# --- shared ---------------------------------------------------------------


def grad_scaler(device_type: str, enabled: bool):
    """A loss scaler: ``torch.amp.GradScaler`` from torch 2.3 on, CUDA's
    before (a disabled one passes everything through on any device). Here
    rather than in mmseqformer: the official code's children use it too."""
    if hasattr(torch.amp, 'GradScaler'):
        return torch.amp.GradScaler(device_type, enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def _training_step(model: nn.Module, losses: Callable[[], dict], device: str,
                   amp: bool) -> Callable[[], dict]:
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=LR, weight_decay=WEIGHT_DECAY)
    # Loss scaling keeps float16 gradients from underflowing; bfloat16 has
    # float32's range and needs none.
    scaler = grad_scaler(
        device.split(':')[0], enabled=amp and device.startswith('cuda'))

    def step() -> dict:
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, amp):
            values = losses()
        total = sum(values.values())
        scaler.scale(total).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
        scaler.step(optimizer)
        scaler.update()
        return {k: v.detach() for k, v in values.items()}

    return step


def synthetic_clips(num_clips: int, num_frames: int, height: int, width: int,
                    num_classes: int) -> List[dict]:
    """The training batch of both codes: 3 drifting instances per clip."""
    from mmseqformer.testing.synthetic_clips import make_training_clips
    return make_training_clips(
        num_clips,
        num_frames,
        height,
        width,
        num_instances=3,
        num_classes=num_classes,
        seed=0)


def total_loss(losses: dict) -> float:
    return float(sum(v.float() for v in losses.values()).item())

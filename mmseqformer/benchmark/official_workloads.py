"""What the benchmarks time for the official code (wjf5203/SeqFormer).

The same work as our side (:mod:`.workloads`), as the official code does
it:

- inference: its ``inference.py`` for one video (normalised frames
  stacked, one ``model.inference`` pass over the whole video, the top 10
  (query, class) pairs, masks upsampled to the frame, thresholded and
  RLE-encoded);
- training: one step of its ``engine.py``'s ``train_one_epoch`` on the
  same batch (:mod:`.training_step`).

Only torch, numpy and pycocotools at import: these run in the official
code's environment (:func:`~.child_process.child_command` with
``standalone=True``).
"""
from typing import Callable, List

import numpy as np
import pycocotools.mask as mask_util
import torch
import torch.nn.functional as F
from torch import nn

from .official_code import build_official_model, import_official
from .official_fixtures import official_targets
from .training_step import training_step

#: Normalisation of the official ``inference.py`` (RGB, in [0, 1]).
OFFICIAL_MEAN = (0.485, 0.456, 0.406)
OFFICIAL_STD = (0.229, 0.224, 0.225)
#: The official ``inference.py``: top pairs kept per video; its classes.
OFFICIAL_TOP_PAIRS = 10
OFFICIAL_NUM_CLASSES = 42


def build_official_inference_model(root: str, device: str) -> nn.Module:
    """The model of the official ``inference.py`` (R50, box refinement,
    relative coordinates, 300 queries, 42 classes), random weights."""
    _use_kernel_on_cuda(root, device)
    model, _, _ = build_official_model(root, script='inference.py')
    return model.to(device).eval()


def build_official_training_model(root: str, device: str,
                                  num_frames: int) -> tuple:
    """The model and criterion of the official R50 training scripts
    (``configs/r50_seqformer.sh``: box refinement, relative coordinates,
    masks, 300 queries, ``num_frames`` frames per clip)."""
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
    :mod:`.official_code` routes it to the PyTorch reference, which is
    right on the CPU and would make the official code look slow on a GPU.
    """
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

    return training_step(model, losses, device, amp)

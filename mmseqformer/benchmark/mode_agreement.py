"""How far a causal mode is from the offline mode on one video without
annotations: mask agreement of their results, and the online state after
the last frame against offline's."""
from typing import Dict, List, Optional

import numpy as np
import pycocotools.mask as mask_util


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


def online_last_frame_vs_offline(model,
                                 video: str,
                                 chunk_size: Optional[int] = None) -> dict:
    """Largest absolute differences between online's class probabilities
    (Q, K) and instance queries (Q, C) after the last frame of ``video``
    and offline's: the model-level inferences fed as :func:`stream_vis`
    and :func:`inference_vis` feed them (online one frame at a time,
    offline ``chunk_size`` frames at a time, None: the whole video).

    Online accumulates the same sums as offline, so the two must agree up
    to float rounding.

    NOTE: this feeds the two inferences by hand instead of through
    :func:`stream_vis`, whose loop keeps each inference to itself: the
    comparison needs both inferences' state after the last frame.
    """
    import torch

    from mmseqformer.apis import (build_vis_test_pipeline, iter_frame_chunks,
                                  open_video_source, preprocess_frames)
    from mmseqformer.models.vis import build_video_inference
    source = open_video_source(video)
    length = source.known_length()
    pipeline = build_vis_test_pipeline(model.cfg)
    online = build_video_inference(model, 'online', length)
    offline = build_video_inference(
        model, 'offline', length, chunk_size=chunk_size)
    first_frame = 0
    with torch.no_grad():
        for frames in iter_frame_chunks(source, chunk_size):
            offline.push(*preprocess_frames(model, pipeline, frames,
                                            first_frame, length))
            for index, frame in enumerate(frames, first_frame):
                online.push(*preprocess_frames(model, pipeline, [frame], index,
                                               length))
            first_frame += len(frames)
        offline.select()  # its instance queries, without the masks
    return dict(
        class_probabilities=float((online.cls_scores.sigmoid() -
                                   offline.cls_scores.sigmoid()).abs().max()),
        instance_queries=float(
            (online.inst_queries - offline.inst_queries).abs().max()))

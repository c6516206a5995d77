"""Video-level ground truth from a clip's per-frame annotations."""
from typing import Tuple

import torch
from mmdet.structures import TrackDataSample
from mmdet.structures.bbox import bbox_xyxy_to_cxcywh, get_box_tensor
from mmengine.structures import InstanceData

#: Official target box of an absent frame (and lower bound of every box):
#: a zero box clamped to 1e-6, normalised (cx, cy, w, h).
ABSENT_BOX = 1e-6


def video_gt_instances(sample: TrackDataSample,
                       mask_size: Tuple[int, int],
                       mask_stride: int = 4) -> InstanceData:
    """Gather each instance's boxes and masks over the frames of a clip.

    Instances are ordered by first appearance; an instance's label is the one
    of its first annotated frame. Frames where it is absent get the
    placeholder box and an empty mask (official).

    Args:
        sample (TrackDataSample): T frames with ``gt_instances`` (``bboxes``
            xyxy in input pixels, ``labels``, ``instances_ids``, ``masks``
            padded to the batch input shape).
        mask_size (tuple[int, int]): (h, w) of the stride-4 mask logits.
        mask_stride (int): Stride of the mask logits. GT masks are sampled
            at ``[s // 2::s, s // 2::s]`` as official. Defaults to 4.

    Returns:
        InstanceData: ``labels`` (G, ), ``bboxes`` (G, T, 4) normalised
        (cx, cy, w, h), ``masks`` (G, T, h, w) uint8, ``instances_ids``
        (G, ).
    """
    frames = [sample[t].gt_instances for t in range(len(sample))]
    device = frames[0].labels.device
    ids, labels = [], []
    for frame in frames:
        for inst_id, label in zip(frame.instances_ids.tolist(),
                                  frame.labels.tolist()):
            if inst_id not in ids:
                ids.append(inst_id)
                labels.append(label)
    num_inst, num_frames = len(ids), len(frames)
    boxes = torch.full((num_inst, num_frames, 4), ABSENT_BOX, device=device)
    masks = torch.zeros((num_inst, num_frames, *mask_size),
                        dtype=torch.uint8,
                        device=device)
    start = mask_stride // 2
    for t, frame in enumerate(frames):
        img_h, img_w = sample[t].img_shape
        scale = boxes.new_tensor([img_w, img_h, img_w, img_h])
        frame_masks = _as_tensor(frame.masks, device)[:, start::mask_stride,
                                                      start::mask_stride]
        h, w = min(mask_size[0],
                   frame_masks.shape[1]), min(mask_size[1],
                                              frame_masks.shape[2])
        for row, inst_id in enumerate(frame.instances_ids.tolist()):
            index = ids.index(inst_id)
            box = bbox_xyxy_to_cxcywh(
                get_box_tensor(frame.bboxes)[row].float()) / scale
            boxes[index, t] = box.clamp(min=ABSENT_BOX)
            masks[index, t, :h, :w] = frame_masks[row, :h, :w]
    return InstanceData(
        labels=torch.as_tensor(labels, dtype=torch.long, device=device),
        bboxes=boxes,
        masks=masks,
        instances_ids=torch.as_tensor(ids, dtype=torch.long, device=device))


def _as_tensor(masks, device) -> torch.Tensor:
    """BitmapMasks or a tensor as a (n, H, W) uint8 tensor."""
    if isinstance(masks, torch.Tensor):
        return masks.to(device=device, dtype=torch.uint8)
    return torch.as_tensor(
        masks.to_ndarray(), dtype=torch.uint8, device=device)

"""Box match costs over all frames of a clip
(docs/notes/official_behaviour.md §2).

Used with mmdet's ``HungarianAssigner`` and ``FocalLossCost``. Boxes are
``(n, T, 4)`` normalised (cx, cy, w, h); frames where an instance is absent
carry the official placeholder box and are costed like any other frame.
"""
from typing import Optional

import torch
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor


class _VideoBoxCost:
    """A weighted cost between predicted and ground-truth box tracks.

    Args:
        weight (float): Cost weight.
    """

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Cost matrix.

        Args:
            pred_instances (InstanceData): ``bboxes`` (num_query, T, 4).
            gt_instances (InstanceData): ``bboxes`` (num_gt, T, 4).

        Returns:
            Tensor: (num_query, num_gt) weighted costs.
        """
        pred = pred_instances.bboxes
        gt = gt_instances.bboxes.to(pred.dtype)
        return self.cost(pred, gt) * self.weight

    def cost(self, pred: Tensor, gt: Tensor) -> Tensor:
        raise NotImplementedError


@TASK_UTILS.register_module()
class VideoBoxL2Cost(_VideoBoxCost):
    """Euclidean distance between the concatenated boxes of all frames.

    NOTE: the official matcher uses ``torch.cdist`` with its default p=2
    over the 4T coordinates, not an L1 cost and not a frame average, so the
    cost grows with sqrt(T). ``p`` keeps that default.

    Args:
        weight (float): Cost weight. Defaults to 5.0.
        p (float): Norm order. Defaults to 2.
    """

    def __init__(self, weight: float = 5.0, p: float = 2.0) -> None:
        super().__init__(weight)
        self.p = p

    def cost(self, pred: Tensor, gt: Tensor) -> Tensor:
        return torch.cdist(pred.flatten(1), gt.flatten(1), p=self.p)


@TASK_UTILS.register_module()
class VideoGIoUCost(_VideoBoxCost):
    """Negative GIoU averaged over the frames of a clip.

    Args:
        weight (float): Cost weight. Defaults to 2.0.
    """

    def __init__(self, weight: float = 2.0) -> None:
        super().__init__(weight)

    def cost(self, pred: Tensor, gt: Tensor) -> Tensor:
        pred, gt = bbox_cxcywh_to_xyxy(pred), bbox_cxcywh_to_xyxy(gt)
        num_frames = pred.shape[1]
        return -sum(
            bbox_overlaps(pred[:, t], gt[:, t], mode='giou')
            for t in range(num_frames)) / num_frames

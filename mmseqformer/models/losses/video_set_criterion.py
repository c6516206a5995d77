"""Hungarian matching and set losses of SeqFormer.

The official matcher and losses: ``docs/notes/official_behaviour.md`` §2, §3.

Shape legend: ``Q`` queries, ``T`` frames, ``K`` classes, ``G`` ground-truth
instances of a clip, ``h, w`` the stride-4 mask size.
"""
from typing import Dict, List, Sequence

import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmdet.utils import ConfigType, reduce_mean
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor


@MODELS.register_module()
class VideoSetCriterion(BaseModule):
    """Match queries to video instances and compute the five losses.

    For one decoder layer and one clip, :meth:`match` runs mmdet's
    ``HungarianAssigner`` with the official costs (focal class cost, L2 over
    all frames' boxes, frame-averaged GIoU); :meth:`losses` then computes,
    with ``num_boxes`` = number of ground-truth instances in the batch
    (averaged over processes):

    * focal classification loss summed over queries and classes;
    * L1 and GIoU box losses averaged over frames;
    * mask focal loss averaged over all pixels of all frames;
    * dice loss over the whole clip volume of each instance.

    Frames where an instance is absent are supervised like the others, with
    the placeholder box and an empty mask (official).

    Args:
        assigner (dict): mmdet ``HungarianAssigner`` config.
        loss_cls, loss_bbox, loss_iou, loss_mask, loss_dice (dict): mmdet
            ``FocalLoss``, ``L1Loss``, ``GIoULoss``, ``FocalLoss``,
            ``DiceLoss`` configs with the official weights 2, 5, 2, 2, 5.
    """

    def __init__(
        self,
        assigner: ConfigType = dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='FocalLossCost', weight=2.0, eps=1e-8),
                dict(type='VideoBoxL2Cost', weight=5.0),
                dict(type='VideoGIoUCost', weight=2.0),
            ]),
        loss_cls: ConfigType = dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=2.0),
        loss_bbox: ConfigType = dict(type='L1Loss', loss_weight=5.0),
        loss_iou: ConfigType = dict(type='GIoULoss', loss_weight=2.0),
        loss_mask: ConfigType = dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=2.0),
        loss_dice: ConfigType = dict(
            type='DiceLoss',
            use_sigmoid=True,
            activate=True,
            naive_dice=True,
            eps=1.0,
            loss_weight=5.0)
    ) -> None:
        super().__init__()
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)

    @torch.no_grad()
    def match(self, cls_scores: Tensor, boxes: Tensor,
              gt_instances: InstanceData) -> Tensor:
        """Hungarian matching of one clip at one layer.

        Args:
            cls_scores (Tensor): (Q, K) class logits.
            boxes (Tensor): (Q, T, 4) normalised (cx, cy, w, h).
            gt_instances (InstanceData): ``labels`` (G, ) and ``bboxes``
                (G, T, 4) normalised (cx, cy, w, h).

        Returns:
            Tensor: (Q, ) index of the matched instance, -1 where unmatched.
        """
        pred = InstanceData(scores=cls_scores, bboxes=boxes)
        assigned = self.assigner.assign(pred, gt_instances).gt_inds
        return torch.where(assigned > 0, assigned - 1,
                           assigned.new_full(assigned.shape, -1))

    @staticmethod
    def num_boxes(batch_gt_instances: Sequence[InstanceData],
                  device: torch.device) -> Tensor:
        """Ground-truth instances in the batch, averaged over processes,
        at least 1."""
        count = torch.as_tensor(
            float(sum(len(gt) for gt in batch_gt_instances)), device=device)
        return reduce_mean(count).clamp(min=1.0)

    def classification_loss(self, cls_scores: Tensor, matches: List[Tensor],
                            batch_gt_instances: Sequence[InstanceData],
                            num_boxes: Tensor) -> Tensor:
        """Focal loss of all queries of all clips.

        Args:
            cls_scores (Tensor): (bs, Q, K) logits.
            matches (list[Tensor]): Per clip, (Q, ) matched instance or -1.
            batch_gt_instances (Sequence[InstanceData]): Per clip labels.
            num_boxes (Tensor): Normaliser.
        """
        num_classes = cls_scores.shape[-1]
        labels = []
        for match, gt in zip(matches, batch_gt_instances):
            label = match.new_full(match.shape, num_classes)  # background
            matched = match >= 0
            label[matched] = gt.labels[match[matched]]
            labels.append(label)
        return self.loss_cls(
            cls_scores.flatten(0, 1), torch.cat(labels), avg_factor=num_boxes)

    def box_losses(self, boxes: Tensor, gt_boxes: Tensor,
                   num_boxes: Tensor) -> Dict[str, Tensor]:
        """L1 and GIoU losses averaged over frames.

        Args:
            boxes (Tensor): (n, T, 4) matched predictions, normalised
                (cx, cy, w, h).
            gt_boxes (Tensor): (n, T, 4) their targets.
            num_boxes (Tensor): Normaliser.
        """
        num_frames = boxes.shape[1]
        boxes, gt_boxes = boxes.flatten(0, 1), gt_boxes.flatten(0, 1)
        return dict(
            loss_bbox=self.loss_bbox(
                boxes, gt_boxes, avg_factor=num_boxes * num_frames),
            loss_iou=self.loss_iou(
                bbox_cxcywh_to_xyxy(boxes),
                bbox_cxcywh_to_xyxy(gt_boxes),
                avg_factor=num_boxes * num_frames))

    def mask_losses(self, mask_logits: Tensor, gt_masks: Tensor,
                    num_boxes: Tensor) -> Dict[str, Tensor]:
        """Mask focal loss (pixel mean) and clip-volume dice loss.

        Args:
            mask_logits (Tensor): (n, T, h, w) logits at stride 4.
            gt_masks (Tensor): (n, T, h, w) binary targets.
            num_boxes (Tensor): Normaliser.
        """
        logits = mask_logits.flatten(1)
        targets = gt_masks.flatten(1).to(logits.dtype)
        num_pixels = logits.shape[1]
        return dict(
            loss_mask=self.loss_mask(
                logits, targets, avg_factor=num_boxes * num_pixels),
            loss_dice=self.loss_dice(logits, targets, avg_factor=num_boxes))

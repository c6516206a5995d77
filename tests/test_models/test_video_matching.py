"""The video matcher equals brute-force search over the official cost."""
import itertools

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

from mmseqformer.models.utils import ABSENT_BOX


def official_cost(logits, boxes, labels, gt_boxes):
    """C = 2 * focal + 5 * L2 over 4T coords + 2 * mean_t(-GIoU), float64,
    written from the reference's formulas."""
    p = logits.double().sigmoid()[:, labels]  # (Q, G)
    alpha, gamma = 0.25, 2.0
    cls = alpha * (1 - p)**gamma * -(p + 1e-8).log() - \
        (1 - alpha) * p**gamma * -(1 - p + 1e-8).log()
    num_q, num_frames = boxes.shape[:2]
    l2 = torch.zeros(num_q, len(labels), dtype=torch.float64)
    giou = torch.zeros_like(l2)
    for q in range(num_q):
        for g in range(len(labels)):
            diff = boxes[q].double() - gt_boxes[g].double()
            l2[q, g] = diff.pow(2).sum().sqrt()
            giou[q, g] = sum(
                _giou(boxes[q, t].double(), gt_boxes[g, t].double())
                for t in range(num_frames)) / num_frames
    return 2 * cls + 5 * l2 - 2 * giou


def _giou(a, b):
    ax1, ay1, ax2, ay2 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, \
        a[1] + a[3] / 2
    bx1, by1, bx2, by2 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, \
        b[1] + b[3] / 2
    inter = max(0,
                min(ax2, bx2) - max(ax1, bx1)) * max(
                    0,
                    min(ay2, by2) - max(ay1, by1))
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    hull = (max(ax2, bx2) - min(ax1, bx1)) * (max(ay2, by2) - min(ay1, by1))
    return inter / union - (hull - union) / hull


def brute_force(cost):
    num_q, num_g = cost.shape
    best = min(
        itertools.permutations(range(num_q), num_g),
        key=lambda qs: sum(cost[q, g] for g, q in enumerate(qs)))
    match = torch.full((num_q, ), -1)
    for g, q in enumerate(best):
        match[q] = g
    return match


@pytest.mark.parametrize('seed, num_q, num_g, frames', [(0, 5, 2, 3),
                                                        (1, 6, 3, 2),
                                                        (2, 4, 4, 1),
                                                        (3, 5, 1, 4),
                                                        (4, 6, 3, 3)])
def test_matches_equal_brute_force(seed, num_q, num_g, frames):
    torch.manual_seed(seed)
    criterion = MODELS.build(dict(type='VideoSetCriterion'))
    logits = torch.randn(num_q, 3) * 2
    boxes = torch.rand(num_q, frames, 4) * 0.5 + 0.1
    gt_boxes = torch.rand(num_g, frames, 4) * 0.5 + 0.1
    gt_boxes[0, 0] = ABSENT_BOX  # an absent frame is costed like others
    labels = torch.randint(0, 3, (num_g, ))
    gt = InstanceData(labels=labels, bboxes=gt_boxes)
    match = criterion.match(logits, boxes, gt)
    expected = brute_force(official_cost(logits, boxes, labels, gt_boxes))
    assert match.tolist() == expected.tolist()


def test_no_ground_truth_matches_nothing():
    criterion = MODELS.build(dict(type='VideoSetCriterion'))
    gt = InstanceData(
        labels=torch.zeros(0, dtype=torch.long), bboxes=torch.zeros(0, 2, 4))
    match = criterion.match(torch.randn(4, 3), torch.rand(4, 2, 4), gt)
    assert match.tolist() == [-1] * 4

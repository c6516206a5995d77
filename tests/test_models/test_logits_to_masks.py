"""Unpadded test input: video masks are made exactly as the official
inference makes them."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample

from mmseqformer.testing import tiny_seqformer_cfg


@pytest.fixture(scope='module')
def head():
    return MODELS.build(tiny_seqformer_cfg()).track_head


def video_sample(img_shape, batch_input_shape, ori_shape, num_frames):
    meta = dict(
        img_shape=img_shape,
        batch_input_shape=batch_input_shape,
        ori_shape=ori_shape)
    return TrackDataSample(video_data_samples=[
        DetDataSample(metainfo=meta) for _ in range(num_frames)
    ])


def test_unpadded_logits_go_straight_to_the_original_size(head):
    torch.manual_seed(0)
    # Stride-4 logits of a 362 x 641 input (91 x 161), 3 queries, 2 frames.
    logits = torch.randn(3, 2, 91, 161) * 4
    logits[0, 0, :10, :10] = 1e-9  # rounds to sigmoid 0.5: not foreground
    sample = video_sample((362, 641), (362, 641), (1080, 1913), 2)
    masks = head.logits_to_masks(logits, sample, rescale=True)
    # The official inference.py, one query at a time: (T, 1, h, w) ->
    # bilinear (align_corners=False) -> sigmoid > 0.5.
    for query in range(3):
        official = F.interpolate(
            logits[query][:, None], (1080, 1913),
            mode='bilinear').sigmoid() > 0.5
        assert torch.equal(masks[query], official[:, 0])
    assert masks.any() and not masks.all()


def test_padded_logits_are_cut_to_the_frame_first(head):
    logits = torch.zeros(1, 1, 24, 24)
    logits[..., :, 20:] = 5.0  # only the padding is foreground
    sample = video_sample((96, 80), (96, 96), (96, 80), 1)
    assert not head.logits_to_masks(logits, sample, rescale=True).any()


def official_order(probs: torch.Tensor, k: int):
    """The official inference.py's output order, written out: top-k pairs,
    then grouped by query in the order the queries first appear."""
    num_classes = probs.shape[1]
    top = probs.flatten().topk(k).indices.tolist()
    groups = {}
    for index in top:
        groups.setdefault(index // num_classes, []).append(index % num_classes)
    return [(query, label) for query, labels in groups.items()
            for label in labels]


def test_selection_is_in_the_official_order(head):
    torch.manual_seed(1)
    for _ in range(20):
        # Few queries, many classes: queries repeat among the top pairs.
        logits = torch.randn(4, head.num_classes) * 3
        scores, queries, labels = head.select(logits)
        count = min(head.test_cfg['max_per_video'], logits.numel())
        assert list(zip(queries.tolist(), labels.tolist())) == \
            official_order(logits.sigmoid(), count)
        assert torch.equal(scores, logits.sigmoid()[queries, labels])

"""Video post-processing: masks made exactly as the official inference
makes them (unpadded test input), the official pair order, the test_cfg
defaults."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample, TrackDataSample

# yapf: disable  (isort lays out this import)
from mmseqformer.models.vis.video_postprocess import (VIDEO_TEST_CFG,
                                                      embedding_frames,
                                                      frame_instances,
                                                      logits_to_masks,
                                                      select_pairs,
                                                      video_test_cfg)

# yapf: enable


def video_sample(img_shape, batch_input_shape, ori_shape, num_frames):
    meta = dict(
        img_shape=img_shape,
        batch_input_shape=batch_input_shape,
        ori_shape=ori_shape)
    return TrackDataSample(video_data_samples=[
        DetDataSample(metainfo=meta) for _ in range(num_frames)
    ])


def test_unpadded_logits_go_straight_to_the_original_size():
    torch.manual_seed(0)
    # Stride-4 logits of a 362 x 641 input (91 x 161), 3 queries, 2 frames.
    logits = torch.randn(3, 2, 91, 161) * 4
    logits[0, 0, :10, :10] = 1e-9  # rounds to sigmoid 0.5: not foreground
    sample = video_sample((362, 641), (362, 641), (1080, 1913), 2)
    masks = logits_to_masks(logits, sample, rescale=True, mask_thr=0.5)
    # The official inference.py, one query at a time: (T, 1, h, w) ->
    # bilinear (align_corners=False) -> sigmoid > 0.5.
    for query in range(3):
        official = F.interpolate(
            logits[query][:, None],
            (1080, 1913), mode='bilinear').sigmoid() > 0.5
        assert torch.equal(masks[query], official[:, 0])
    assert masks.any() and not masks.all()


def test_padded_logits_are_cut_to_the_frame_first():
    logits = torch.zeros(1, 1, 24, 24)
    logits[..., :, 20:] = 5.0  # only the padding is foreground
    sample = video_sample((96, 80), (96, 96), (96, 80), 1)
    assert not logits_to_masks(logits, sample, True, 0.5).any()
    # Without rescaling the masks are at the input size.
    assert logits_to_masks(logits, sample, False, 0.5).shape[-2:] == (96, 80)


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


def test_selection_is_in_the_official_order():
    torch.manual_seed(1)
    for _ in range(20):
        # Few queries, many classes: queries repeat among the top pairs.
        logits = torch.randn(4, 3) * 3
        selection = select_pairs(logits, 10, score_thr=0.3)
        queries, labels = selection.queries, selection.labels
        assert list(zip(queries.tolist(), labels.tolist())) == \
            official_order(logits.sigmoid(), 10)
        assert torch.equal(selection.scores, logits.sigmoid()[queries, labels])
        # Kept: a mask somewhere and a score of at least score_thr.
        has_mask = torch.arange(10) % 2 == 0
        assert torch.equal(
            selection.kept(has_mask), has_mask & (selection.scores >= 0.3))


def test_embedding_frames_are_evenly_spaced():
    assert embedding_frames(3, 5, 'cpu').tolist() == [0, 2, 4]
    assert embedding_frames(4, 10, 'cpu').tolist() == [0, 3, 6, 9]
    assert embedding_frames(None, 5, 'cpu') is None
    assert embedding_frames(5, 5, 'cpu') is None  # all frames


def test_frame_instances_drop_empty_masks_or_keep_them_with_zero_boxes():
    masks = torch.zeros(3, 6, 8, dtype=torch.bool)
    masks[0, 1:3, 2:5] = True
    masks[2, 4, 7] = True
    args = (masks, torch.tensor([0.9, 0.5, 0.4]), torch.tensor([2, 0, 1]),
            torch.tensor([0, 1, 2]))
    shown = frame_instances(*args)
    assert shown.instances_id.tolist() == [0, 2]
    assert shown.bboxes.tolist() == [[2, 1, 5, 3], [7, 4, 8, 5]]
    every = frame_instances(*args, drop_empty=False)
    assert every.instances_id.tolist() == [0, 1, 2]
    assert every.bboxes[1].tolist() == [0, 0, 0, 0]


def test_test_cfg_defaults_and_unknown_keys():
    assert video_test_cfg() == VIDEO_TEST_CFG
    assert video_test_cfg(dict(max_per_video=3))['max_per_video'] == 3
    assert video_test_cfg()['mask_thr'] == 0.5
    with pytest.raises(ValueError, match='max_per_vid'):
        video_test_cfg(dict(max_per_vid=3))

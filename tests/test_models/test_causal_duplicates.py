"""The causal modes' per-frame duplicates: dropped in the linked modes,
kept at a score times ``1 - IoU`` in the online mode (Soft-NMS's linear
rule), never the next step's incumbents."""
import pytest
import torch

from mmseqformer.models.vis import build_video_inference
from mmseqformer.testing import noisy_tiny_vis_model


@pytest.fixture(scope='module')
def model():
    return noisy_tiny_vis_model()


def masks_with_overlap():
    """Three (8, 10) masks: the second overlaps the first by IoU 0.6, the
    third overlaps neither."""
    masks = torch.zeros(3, 8, 10, dtype=torch.bool)
    masks[0, 0:4] = True  # 40 pixels
    masks[1, 1:5] = True  # 40 pixels, 30 shared: IoU 30 / 50 = 0.6
    masks[2, 6:8, 0:5] = True  # 10 pixels, apart
    return masks


def test_online_keeps_a_duplicate_at_its_score_times_one_minus_iou(model):
    online = build_video_inference(model, 'online')
    queries = torch.tensor([5, 6, 7])
    scores = torch.tensor([0.9, 0.8, 0.7])
    shown, decayed = online._shown(masks_with_overlap(), queries, scores)
    assert shown.tolist() == [True, True, True]
    assert decayed.tolist() == pytest.approx([0.9, 0.8 * 0.4, 0.7])
    assert scores.tolist() == pytest.approx([0.9, 0.8, 0.7])  # not in place
    # The duplicate is no incumbent: the next step still prefers query 5.
    assert online.shown_queries == {5, 7}


def test_an_incumbent_stays_and_the_better_scoring_newcomer_decays(model):
    online = build_video_inference(model, 'online')
    online.shown_queries = {6}
    shown, decayed = online._shown(masks_with_overlap(),
                                   torch.tensor([5, 6, 7]),
                                   torch.tensor([0.9, 0.8, 0.7]))
    assert shown.tolist() == [True, True, True]
    assert decayed.tolist() == pytest.approx([0.9 * 0.4, 0.8, 0.7])
    assert online.shown_queries == {6, 7}


@pytest.mark.parametrize('mode,options',
                         [('window', dict(window=2)),
                          ('clips', dict(clip_length=2)),
                          ('online', dict(soft_duplicates=False))])
def test_linked_modes_drop_duplicates(model, mode, options):
    inference = build_video_inference(model, mode, **options)
    shown, scores = inference._shown(masks_with_overlap(),
                                     torch.tensor([5, 6, 7]),
                                     torch.tensor([0.9, 0.8, 0.7]))
    assert shown.tolist() == [True, False, True]
    assert scores.tolist() == pytest.approx([0.9, 0.8, 0.7])
    assert inference.shown_queries == {5, 7}


@pytest.mark.parametrize('threshold,kept', [(0.61, True), (0.59, False)])
def test_a_duplicate_overlaps_by_more_than_the_threshold(
        model, threshold, kept):
    inference = build_video_inference(
        model, 'online', duplicate_iou=threshold, soft_duplicates=False)
    shown, _ = inference._shown(masks_with_overlap(), torch.tensor([5, 6, 7]),
                                torch.tensor([0.9, 0.8, 0.7]))
    assert shown.tolist() == [True, kept, True]


def test_empty_masks_are_never_shown_nor_incumbents(model):
    online = build_video_inference(model, 'online')
    masks = masks_with_overlap()
    masks[0] = False
    shown, decayed = online._shown(masks, torch.tensor([5, 6, 7]),
                                   torch.tensor([0.9, 0.8, 0.7]))
    assert shown.tolist() == [False, True, True]
    assert decayed.tolist() == pytest.approx([0.9, 0.8, 0.7])
    assert online.shown_queries == {6, 7}

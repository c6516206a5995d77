"""The clip mode links its clips frame by frame: each frame's shown
instances are one step of the linker, by their descriptor in that frame
(here without the appearance) averaged with the IoU between their masks
in the frame before and the tracks' masks there. A duplicate that takes
an object over inside a clip continues the object's track."""
import pytest
import torch

from mmseqformer.models.vis import build_video_inference
from mmseqformer.models.vis.causal_inference import mask_iou
from mmseqformer.models.vis.video_engine import FrameRecord
from mmseqformer.testing import noisy_tiny_vis_model

NUM_FRAMES = 3


@pytest.fixture(scope='module')
def model():
    return noisy_tiny_vis_model()


def clip_record(inst_queries: torch.Tensor) -> FrameRecord:
    """A clip of 3 frames whose queries' per-frame features are their
    instance queries (so that the descriptors' cosine is the queries')."""
    feats = inst_queries[None, None].expand(2, NUM_FRAMES, -1, -1)
    return FrameRecord(
        first_frame=0,
        inst_feats=feats.clone(),
        frame_logits=None,
        references=torch.zeros(NUM_FRAMES, len(inst_queries), 4),
        mask_feats=None)


def hand_over_masks(duplicate_before: bool) -> torch.Tensor:
    """(2, 3, 8, 10) masks of queries 0 and 1: query 0 has the object in
    frames 0 and 1 and nothing in frame 2, query 1 has it in frame 2 and,
    if ``duplicate_before``, nearly the same mask as query 0 in frame 1."""
    masks = torch.zeros(2, NUM_FRAMES, 8, 10, dtype=torch.bool)
    masks[0, 0, 0:4, 0:5] = True
    masks[0, 1, 0:4, 1:6] = True
    masks[1, 2, 0:4, 2:7] = True
    if duplicate_before:
        masks[1, 1, 0:4, 1:5] = True  # IoU 16 / 20 with query 0's
    return masks


def decide_clip(model, duplicate_before: bool) -> list:
    """The ids shown in each frame of one clip."""
    clips = build_video_inference(
        model, 'clips', clip_length=NUM_FRAMES, appearance_weight=0)
    # Queries 0 and 1 with cosine 0.4: too far apart to continue one
    # track by their descriptors alone (0.4 < 0.5).
    inst_queries = torch.tensor([[1.0, 0.0], [0.4, 0.84**0.5]])
    clip = clip_record(inst_queries)
    masks = hand_over_masks(duplicate_before)
    logits = masks.float() * 20 - 10
    args = (inst_queries, torch.tensor([0, 1]), logits, masks,
            torch.tensor([0.9, 0.8]), torch.tensor([3, 3]))
    return [
        clips._decide_frame(clip, t, *args)[1].instances_id.tolist()
        for t in range(NUM_FRAMES)
    ]


def test_a_duplicate_taking_the_object_over_continues_its_track(model):
    # Frame 1: query 1 is query 0's duplicate (not shown); frame 2: query
    # 0 is empty, query 1 shows the object. Its mask in frame 1 matches
    # the track's there (IoU 0.8): (0.4 + 0.8) / 2 = 0.6 continues it.
    assert decide_clip(model, duplicate_before=True) == [[0], [0], [0]]


def test_a_query_unseen_in_the_frame_before_starts_a_track(model):
    # Query 1 had no mask in frame 1: its affinity with the track is its
    # similarity, 0.4, so the track is not continued, and an active track
    # is no candidate for re-identification.
    assert decide_clip(model, duplicate_before=False) == [[0], [0], [1]]


def test_mask_iou_is_the_brute_force_iou():
    torch.manual_seed(0)
    masks = torch.rand(4, 6, 7) > 0.5
    others = torch.rand(3, 6, 7) > 0.6
    others[2] = False
    masks[3] = False
    iou = mask_iou(masks, others)
    for i in range(4):
        for j in range(3):
            inter = (masks[i] & others[j]).sum().item()
            union = (masks[i] | others[j]).sum().item()
            expected = inter / union if union else 0.0
            assert iou[i, j].item() == pytest.approx(expected, abs=1e-7)
    assert iou[3, 2] == 0  # both empty

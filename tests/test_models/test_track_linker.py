"""TrackLinker: ids follow embeddings across steps, lost tracks come back
within max_lost frames, and the state stays bounded."""
import pytest
import torch

from mmseqformer.models.vis.track_linker import TrackLinker


def unit(*values):
    return torch.tensor(values, dtype=torch.float)


def test_ids_follow_the_embeddings_not_their_order():
    linker = TrackLinker(similarity_thr=0.5)
    a, b = unit(1, 0, 0), unit(0, 1, 0)
    assert linker.link(torch.stack([a, b]), 0).tolist() == [0, 1]
    # Swapped and slightly changed: ids swap with them.
    assert linker.link(torch.stack([b + 0.1, a - 0.1]), 1).tolist() == [1, 0]


def test_a_new_object_gets_a_new_id_without_a_cap():
    linker = TrackLinker(similarity_thr=0.5)
    for step in range(50):
        embedding = torch.zeros(64)
        embedding[step] = 1  # orthogonal to every earlier one
        assert linker.link(embedding[None], step).tolist() == [step]


def test_an_object_leaving_and_returning_within_max_lost_keeps_its_id():
    linker = TrackLinker(similarity_thr=0.5, max_lost=10)
    car, person = unit(1, 0, 0), unit(0, 1, 0)
    linker.link(torch.stack([car, person]), 0)
    for frame in range(1, 8):  # the car is gone for 7 frames
        assert linker.link(person[None], frame).tolist() == [1]
    assert linker.link(torch.stack([person, car]), 8).tolist() == [1, 0]
    # Gone longer than max_lost: forgotten, so a new id.
    for frame in range(9, 21):
        linker.link(person[None], frame)
    assert linker.link(car[None], 21).tolist() == [2]
    assert sorted(linker.embeddings) == [1, 2]  # the old car is forgotten


def test_dissimilar_embeddings_do_not_continue_a_track():
    linker = TrackLinker(similarity_thr=0.9)
    linker.link(unit(1, 0)[None], 0)
    # cos = 0.8 < 0.9: a new track, even though it is the only candidate.
    assert linker.link(unit(0.8, 0.6)[None], 1).tolist() == [1]


def test_extra_affinity_is_averaged_with_the_similarity():
    linker = TrackLinker(similarity_thr=0.75)
    linker.link(torch.stack([unit(1, 0), unit(0, 1)]), 0)
    # Both new instances look like track 0 (cos 1 and 0.8), but the mask
    # IoU says the second one is track 1.
    embeddings = torch.stack([unit(1, 0), unit(0.8, 0.6)])
    iou = torch.tensor([[0.9, 0.0], [0.0, 1.0]])
    # Track 1: (0.6 + 1.0) / 2 = 0.8 >= 0.75 for the second instance.
    assert linker.link(embeddings, 1, iou).tolist() == [0, 1]


def test_negative_max_lost_is_refused():
    with pytest.raises(ValueError, match='max_lost'):
        TrackLinker(max_lost=-1)

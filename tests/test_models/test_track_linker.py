"""TrackLinker: ids follow embeddings across steps, lost tracks are
re-identified from their memory however long they were gone, the state
stays bounded; the window and clip modes' descriptors and the appearance
they hold."""
import pytest
import torch
import torch.nn.functional as F

from mmseqformer.models.vis.track_linker import (TrackLinker,
                                                 mask_pooled_appearance,
                                                 track_descriptors)


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
    assert sorted(linker.tracks) == [1, 2]  # the old car is forgotten


def test_without_max_lost_a_return_after_any_absence_keeps_its_id():
    linker = TrackLinker(reid_thr=0.6)
    car, person = unit(1, 0, 0), unit(0, 1, 0)
    linker.link(torch.stack([car, person]), 0)
    for frame in range(1, 300):  # far beyond the old 30 frames
        linker.link(person[None], frame)
    # It comes back looking a bit different (cos 0.8 with its memory).
    assert linker.link(torch.stack([person, unit(0.8, 0, 0.6)]),
                       300).tolist() == [1, 0]


def test_lost_tracks_are_recognised_by_their_memory_not_the_last_look():
    linker = TrackLinker(similarity_thr=0.5, reid_thr=0.9)
    # The car looks like (1, 0, 0) for 9 frames, then once like (0, 0, 1)
    # as it leaves (continued: cos 0.6 with its latest (0.8, 0, 0.6)).
    for frame in range(9):
        linker.link(unit(1, 0, 0)[None], frame)
    linker.link(unit(0.8, 0, 0.6)[None], 9)
    linker.link(unit(0, 1, 0)[None], 10)  # another object; the car is lost
    memory = linker.tracks[0].memory
    back = unit(1, 0, 0)
    assert float(back @ memory) > 0.9 > float(back @ linker.tracks[0].latest)
    assert linker.link(back[None], 20).tolist() == [0]


def test_the_memory_holds_at_most_max_tracks():
    linker = TrackLinker(max_tracks=4)
    for step in range(50):
        embedding = torch.zeros(64)
        embedding[step] = 1
        linker.link(embedding[None], step)
    # The 4 most recently seen, each with two (C, ) embeddings.
    assert list(linker.tracks) == [46, 47, 48, 49]


def test_dissimilar_embeddings_do_not_continue_a_track():
    linker = TrackLinker(similarity_thr=0.9)
    linker.link(unit(1, 0)[None], 0)
    # cos = 0.8 < 0.9: a new track, even though it is the only candidate.
    assert linker.link(unit(0.8, 0.6)[None], 1).tolist() == [1]


def test_extra_affinity_averaged_with_the_similarity_can_decide():
    linker = TrackLinker(similarity_thr=0.75)
    linker.link(torch.stack([unit(1, 0), unit(0, 1)]), 0)
    # Both new instances look like track 0 (cos 1 and 0.8), but the mask
    # IoU says the second one is track 1.
    embeddings = torch.stack([unit(1, 0), unit(0.8, 0.6)])
    iou = torch.tensor([[0.9, 0.0], [0.0, 1.0]])
    # Track 1: (0.6 + 1.0) / 2 = 0.8 >= 0.75 for the second instance.
    assert linker.link(embeddings, 1, iou).tolist() == [0, 1]


@pytest.mark.parametrize('iou', [0.0, 0.4, 1.0])
def test_extra_affinity_never_lowers_the_similarity(iou):
    linker = TrackLinker(similarity_thr=0.7)
    linker.link(unit(1, 0)[None], 0)
    # cos 0.8 continues the track by itself; a low IoU (the query had no
    # mask in the frame before) must not take that away.
    ids = linker.link(unit(0.8, 0.6)[None], 1, torch.tensor([[iou]]))
    assert ids.tolist() == [0]


def test_extra_affinity_raises_a_similarity_below_the_threshold():
    linker = TrackLinker(similarity_thr=0.7)
    linker.link(unit(1, 0)[None], 0)
    low = unit(0.6, 0.8)[None]  # cos 0.6 < 0.7
    assert linker.link(low, 1, torch.tensor([[0.0]])).tolist() == [1]
    # Continued by (0.6 + 0.9) / 2 = 0.75 (a fresh linker, track 0 active).
    linker = TrackLinker(similarity_thr=0.7)
    linker.link(unit(1, 0)[None], 0)
    assert linker.link(low, 1, torch.tensor([[0.9]])).tolist() == [0]


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match='max_lost'):
        TrackLinker(max_lost=-1)
    with pytest.raises(ValueError, match='max_tracks'):
        TrackLinker(max_tracks=0)
    with pytest.raises(ValueError, match='query_weight'):
        TrackLinker(query_weight=1.5)


def test_the_query_share_mixes_into_the_similarity_with_lost_tracks():
    linker = TrackLinker(similarity_thr=0.5, query_weight=0.4)
    car = unit(1, 0)
    for frame, query in enumerate([3, 3, 5, 3]):  # two duplicates take turns
        linker.link(car[None], frame, queries=[query])
    assert linker.tracks[0].query_steps == {3: 3, 5: 1}
    cosine = torch.tensor([[0.9], [0.2], [0.7]])
    expected = 0.6 * cosine + 0.4 * torch.tensor([[0.75], [0.25], [0.0]])
    similarity = linker.reid_similarity(cosine, [3, 5, 7], [0])
    assert torch.allclose(similarity, expected)
    # Without queries, or at weight 0, the cosine alone.
    assert torch.equal(linker.reid_similarity(cosine, None, [0]), cosine)
    linker.query_weight = 0
    assert torch.equal(linker.reid_similarity(cosine, [3, 5, 7], [0]), cosine)


def test_a_return_goes_to_its_lost_track_before_a_track_just_left():
    linker = TrackLinker(similarity_thr=0.5, reid_thr=0.3)
    car = unit(1, 0, 0)
    linker.link(car[None], 0)  # track 0
    # A van (track 1) turns towards the camera while the car is away.
    linker.link(unit(0, 1, 0)[None], 1)
    linker.link(unit(0.6, 0.8, 0)[None], 2)
    # The car comes back as the van leaves. Its cosine with the van's
    # latest embedding (0.6) would continue the van's track; with its own
    # memory it is 1, so the matching gives it its own track.
    assert linker.link(car[None], 3).tolist() == [0]


def test_a_track_continues_whichever_query_draws_it():
    # Weight 1 would give another query's instance a similarity of 0 with
    # a lost track; continuation compares the embeddings alone.
    linker = TrackLinker(similarity_thr=0.5, query_weight=1.0)
    car = unit(1, 0)
    linker.link(car[None], 0, queries=[3])
    assert linker.link(car[None], 1, queries=[8]).tolist() == [0]


@pytest.mark.parametrize('query_weight, expected', [(0, 1), (0.3, 0)])
def test_a_return_drawn_by_its_old_query_is_re_identified(
        query_weight, expected):
    linker = TrackLinker(reid_thr=0.3, query_weight=query_weight)
    first, second = unit(1, 0, 0), unit(0, 1, 0)
    # Query 4 draws the first object, query 7 the second; both leave.
    linker.link(torch.stack([first, second]), 0, queries=[4, 7])
    linker.link(unit(0, 0, 1)[None], 1, queries=[2])
    # The first object comes back under query 4, looking more like the
    # second one's memory (cos 0.7) than its own (cos 0.6).
    back = unit(0.6, 0.7, 0.39)
    # Weight 0.3: 0.7 * 0.6 + 0.3 * 1 = 0.72 for its own track, 0.49 for
    # the other.
    assert linker.link(back[None], 50, queries=[4]).tolist() == [expected]


def test_descriptor_similarity_is_the_mean_of_the_two_cosines():
    torch.manual_seed(0)
    queries, feats = torch.randn(5, 8), torch.randn(3, 5, 8)
    other_queries, other_feats = torch.randn(5, 8), torch.randn(2, 5, 8)
    a = track_descriptors(queries, feats)
    b = track_descriptors(other_queries, other_feats)
    assert torch.allclose(a.norm(dim=1), torch.ones(5))
    expected = (F.cosine_similarity(queries, other_queries) +
                F.cosine_similarity(feats.mean(0), other_feats.mean(0))) / 2
    assert torch.allclose((a * b).sum(1), expected, atol=1e-6)


def test_with_appearance_the_similarity_is_the_weighted_mean():
    torch.manual_seed(1)
    queries, feats, looks = (torch.randn(5,
                                         8), torch.randn(3, 5,
                                                         8), torch.randn(5, 6))
    others = (torch.randn(5, 8), torch.randn(2, 5, 8), torch.randn(5, 6))
    weight = 0.3
    a = track_descriptors(queries, feats, looks, weight)
    b = track_descriptors(*others, weight)
    assert a.shape == (5, 2 * 8 + 6)
    assert torch.allclose(a.norm(dim=1), torch.ones(5))
    query_part = (F.cosine_similarity(queries, others[0]) +
                  F.cosine_similarity(feats.mean(0), others[1].mean(0))) / 2
    expected = (1 - weight) * query_part + weight * F.cosine_similarity(
        looks, others[2])
    assert torch.allclose((a * b).sum(1), expected, atol=1e-6)
    # Weight 0 or no appearance: the descriptor without it.
    assert torch.equal(
        track_descriptors(queries, feats, looks, 0.0),
        track_descriptors(queries, feats))


def test_mask_pooled_appearance_is_the_brute_force_weighted_mean():
    torch.manual_seed(2)
    feature_map = torch.randn(4, 3, 5, dtype=torch.float64)
    logits = torch.randn(2, 6, 8, dtype=torch.float64) * 3  # map padded
    got = mask_pooled_appearance(feature_map, logits)
    probs = logits.sigmoid()
    for n in range(2):
        total, weights = torch.zeros(4, dtype=torch.float64), 0.0
        for y in range(3):
            for x in range(4):
                # The stride-8 cell (y, x) holds 2 x 2 stride-4 pixels.
                weight = probs[n, 2 * y:2 * y + 2, 2 * x:2 * x + 2].mean()
                centred = feature_map[:, y, x] - feature_map[:, :3, :4].mean(
                    (1, 2))
                total += weight * centred
                weights += weight
        torch.testing.assert_close(got[n].double(), total / weights)


def test_appearance_stops_a_query_carrying_its_track_to_another_object():
    """A query whose object has left takes another one (its query and
    features unchanged, its appearance the opposite): at weight 0.5 the
    track is not continued; the first object, back under another query,
    is re-identified by its look."""
    query, other_query = unit(1, 0), unit(0.4, 0.84**0.5)
    look_a, look_b = unit(1, 0, 0), unit(-1, 0, 0)

    def step(linker, query, look, frame):
        descriptor = track_descriptors(query[None], query[None, None],
                                       look[None], 0.5)
        return linker.link(descriptor, frame).tolist()

    linker = TrackLinker()
    assert step(linker, query, look_a, 0) == [0]
    assert step(linker, query, look_b, 1) == [1]  # 0.5 * 1 + 0.5 * -1 < 0.5
    assert step(linker, other_query, look_a, 2) == [0]  # re-identified
    # Without the appearance the query keeps its track whatever it sees.
    linker = TrackLinker()
    for frame, look in enumerate((look_a, look_b)):
        assert linker.link(
            track_descriptors(query[None], query[None, None]),
            frame).tolist() == [0]

"""The online, window and clip modes: latency, equality with whole-video
inference where the arithmetic is the same, frames encoded once, ids."""
import numpy as np
import pytest
import torch

from mmseqformer.apis import (build_vis_test_pipeline, inference_vis,
                              preprocess_frames, stream_vis)
from mmseqformer.models.vis import (OfflineVideoInference,
                                    build_video_inference, mode_option_names)
from mmseqformer.testing import moving_block_video as video
from mmseqformer.testing import noisy_tiny_vis_model

NUM_FRAMES = 6


@pytest.fixture(scope='module')
def model():
    # Frame weights far from uniform, so the online softmax matters.
    return noisy_tiny_vis_model(frame_weight_scale=20)


class ReadLog:
    """An iterable of frames that logs each read, so a test can see what
    was read before each prediction came out."""

    def __init__(self, frames):
        self.frames, self.log = frames, []

    def __iter__(self):
        for index, frame in enumerate(self.frames):
            self.log.append(('read', index))
            yield frame


def decided_after_reads(model, mode, **options):
    """(frame index, frames read when it came out) per prediction."""
    source = ReadLog(list(video(NUM_FRAMES)))
    order = []
    for frame in stream_vis(model, source, mode=mode, **options):
        if mode != 'offline':  # frames decided at the end are not kept
            assert frame.image is source.frames[frame.frame_index]
        order.append((frame.frame_index, len(source.log)))
    return order


@pytest.mark.parametrize('mode,options', [('online', {}),
                                          ('window', dict(window=3))])
def test_frame_t_comes_out_before_frame_t_plus_1_is_read(model, mode, options):
    assert decided_after_reads(model, mode,
                               **options) == [(t, t + 1)
                                              for t in range(NUM_FRAMES)]


def test_a_clip_comes_out_when_its_last_frame_is_read(model):
    # Clips of 4 overlapping by 1: frames 0-3, then 3-5 (the end).
    order = decided_after_reads(model, 'clips', clip_length=4, overlap=1)
    assert order == [(0, 4), (1, 4), (2, 4), (3, 4), (4, NUM_FRAMES),
                     (5, NUM_FRAMES)]


def feed(model, inference, frames, chunk=1):
    pipeline = build_vis_test_pipeline(model.cfg)
    outputs = []
    for start in range(0, len(frames), chunk):
        inputs, sample = preprocess_frames(model, pipeline,
                                           list(frames[start:start + chunk]),
                                           start, len(frames))
        outputs += inference.push(inputs, sample)
    return outputs + list(inference.flush())


def offline_queries(model, frames):
    pipeline = build_vis_test_pipeline(model.cfg)
    inputs, sample = preprocess_frames(model, pipeline, list(frames), 0,
                                       len(frames))
    offline = OfflineVideoInference(model)
    assert offline.push(inputs, sample) == []
    offline.select()
    return offline


def test_online_last_frame_queries_equal_offline(model):
    frames = video(NUM_FRAMES)
    online = build_video_inference(model, 'online')
    outputs = feed(model, online, frames)
    assert [index for index, _ in outputs] == list(range(NUM_FRAMES))
    offline = offline_queries(model, frames)
    torch.testing.assert_close(
        online.inst_queries, offline.inst_queries, rtol=0, atol=1e-5)
    torch.testing.assert_close(
        online.cls_scores, offline.cls_scores, rtol=0, atol=1e-5)
    # Ids are queries: each frame's ids are distinct queries.
    for _, instances in outputs:
        ids = instances.instances_id.tolist()
        assert len(set(ids)) == len(ids)
        assert all(0 <= i < model.track_head.num_queries for i in ids)


def same_frames(first, second):
    """The same instances (masks, scores, labels) in every frame, ids
    aside."""
    assert len(first) == len(second)
    for (index_a, a), (index_b, b) in zip(first, second):
        assert index_a == index_b
        order_a, order_b = a.scores.argsort(), b.scores.argsort()
        torch.testing.assert_close(
            a.scores[order_a], b.scores[order_b], rtol=0, atol=1e-5)
        assert torch.equal(a.labels[order_a], b.labels[order_b])
        assert torch.equal(a.masks[order_a], b.masks[order_b])


@pytest.mark.parametrize('soft_duplicates', [False, True])
def test_a_window_longer_than_the_video_is_the_online_mode(
        model, soft_duplicates):
    frames = video(NUM_FRAMES)
    online = feed(
        model,
        build_video_inference(
            model, 'online', soft_duplicates=soft_duplicates), frames)
    window = feed(
        model,
        build_video_inference(
            model,
            'window',
            window=NUM_FRAMES,
            soft_duplicates=soft_duplicates), frames)
    same_frames(online, window)


def test_one_clip_of_the_whole_video_is_the_offline_result(model):
    frames = video(NUM_FRAMES)
    clips = build_video_inference(
        model, 'clips', clip_length=NUM_FRAMES, score_thr=0.0)
    outputs = feed(model, clips, frames, chunk=NUM_FRAMES)
    offline = offline_queries(model, frames)
    masks = torch.cat([m for _, m in offline.masks()], 1)  # (k, T, H, W)
    # The clip's best query (id 0: ids go in order of score) is the query
    # of offline's best pair, with its score and masks.
    assert masks[0].flatten(1).any(1).sum() >= 2
    for index, instances in outputs:
        rows = (instances.instances_id == 0).nonzero().flatten().tolist()
        assert len(rows) == int(masks[0, index].any())
        for row in rows:
            assert torch.equal(instances.masks[row], masks[0, index])
            torch.testing.assert_close(
                instances.scores[row],
                offline.selection.scores[0],
                rtol=0,
                atol=1e-6)


def test_overlapping_clips_encode_each_frame_once(model, monkeypatch):
    encoded = []
    encode = model.encode

    def counting_encode(inputs, data_samples):
        encoded.append(inputs.shape[1])
        return encode(inputs, data_samples)

    monkeypatch.setattr(model, 'encode', counting_encode)
    outputs = list(
        stream_vis(model, video(9), mode='clips', clip_length=4, overlap=2))
    assert [frame.frame_index for frame in outputs] == list(range(9))
    # Clips 0-3, 2-5, 4-7, 6-8: only the new frames are encoded.
    assert encoded == [4, 2, 2, 1]


def check_one_entry_per_track(streamed, prediction):
    """``prediction`` holds each id of the streamed frames, with its masks
    where it was output, empty elsewhere; returns the ids."""
    assert len(prediction) == len(streamed)
    tracks = sorted({
        i
        for frame in streamed for i in frame.instances.instances_id.tolist()
    })
    assert prediction.instance_ids.tolist() == tracks
    for frame in streamed:
        masks = prediction.frame_masks(frame.frame_index)
        for row, track in enumerate(frame.instances.instances_id.tolist()):
            column = tracks.index(track)
            np.testing.assert_array_equal(masks[column],
                                          frame.instances.masks[row].numpy())
        absent = set(tracks) - set(frame.instances.instances_id.tolist())
        for track in absent:
            assert not masks[tracks.index(track)].any()
    return tracks


def test_inference_vis_returns_one_entry_per_track(model):
    frames = video(NUM_FRAMES)
    streamed = list(stream_vis(model, frames, mode='window', window=2))
    prediction = inference_vis(model, frames, mode='window', window=2)
    tracks = check_one_entry_per_track(streamed, prediction)
    # A track's score is the mean of its per-frame scores.
    track = tracks[0]
    scores = [
        float(frame.instances.scores[
            frame.instances.instances_id.tolist().index(track)])
        for frame in streamed
        if track in frame.instances.instances_id.tolist()
    ]
    assert prediction.scores[0] == pytest.approx(np.mean(scores), abs=1e-6)


def test_offline_stream_yields_the_whole_video_result(model):
    frames = video(4)
    whole = inference_vis(model, frames)
    streamed = list(stream_vis(model, frames, mode='offline'))
    assert [f.frame_index for f in streamed] == [0, 1, 2, 3]
    assert all(f.image is None for f in streamed)  # not kept: latency None
    assert len(whole.scores) > 0
    check_one_entry_per_track(streamed, whole)
    # Each frame holds the pairs with a mask there; a pair keeps its score
    # and class in every frame.
    for frame in streamed:
        assert frame.instances.masks.flatten(1).any(1).all()
        for row, track in enumerate(frame.instances.instances_id.tolist()):
            column = whole.instance_ids.tolist().index(track)
            assert float(frame.instances.scores[row]) == whole.scores[column]
            assert int(frame.instances.labels[row]) == whole.labels[column]


def test_the_offline_mode_decides_every_frame_at_the_end(model):
    assert build_video_inference(model, 'offline').latency is None
    order = decided_after_reads(model, 'offline', chunk_size=2)
    assert order == [(t, NUM_FRAMES) for t in range(NUM_FRAMES)]


def test_bad_modes_and_options_are_named(model):
    with pytest.raises(ValueError, match="'nearline'"):
        inference_vis(model, video(2), mode='nearline')
    with pytest.raises(TypeError, match="mode 'online'.*window"):
        inference_vis(model, video(2), mode='online', window=3)
    with pytest.raises(ValueError, match='overlap'):
        inference_vis(model, video(2), mode='clips', clip_length=2, overlap=2)
    with pytest.raises(ValueError, match='no frames'):
        list(stream_vis(model, iter([]), mode='online'))


def test_models_without_query_decomposition_have_only_the_offline_mode(model):
    layers = model.track_head.decoder.layers
    layers[0].query_decompose = False
    try:
        with pytest.raises(ValueError, match='query decomposition'):
            inference_vis(model, video(2), mode='online')
    finally:
        layers[0].query_decompose = True


def test_the_mode_list_is_the_registered_modes():
    from mmseqformer.models.vis import MODES, VIDEO_INFERENCES
    assert set(MODES) == set(VIDEO_INFERENCES) and MODES[0] == 'offline'
    assert mode_option_names('offline') == ['chunk_size']
    assert mode_option_names('clips')[:2] == ['clip_length', 'overlap']
    assert 'max_per_frame' in mode_option_names('window')

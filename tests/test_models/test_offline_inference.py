"""Streaming (chunked) inference equals whole-video inference."""
import numpy as np
import pytest
import torch

from mmseqformer.apis import (build_vis_test_pipeline, inference_vis,
                              preprocess_frames, stream_vis)
from mmseqformer.models.layers import FrameAggregation, SeqFormerDecoderLayer
from mmseqformer.models.vis import OfflineVideoInference
from mmseqformer.models.vis.video_postprocess import (embedding_frames,
                                                      select_pairs)
from mmseqformer.testing import moving_block_video, noisy_tiny_vis_model

NUM_FRAMES = 7
CHUNKS = (3, 3, 1)


def tiny_layer(aggregation):
    torch.manual_seed(0)
    layer = SeqFormerDecoderLayer(
        self_attn_cfg=dict(embed_dims=8, num_heads=2, batch_first=True),
        cross_attn_cfg=dict(embed_dims=8, num_heads=2, num_points=2),
        ffn_cfg=dict(embed_dims=8, feedforward_channels=16),
        aggregation=aggregation).double()
    if layer.frame_weight_fc is not None:
        torch.nn.init.normal_(layer.frame_weight_fc.weight, std=5.0)
    return layer


@pytest.mark.parametrize('aggregation', ['weighted', 'average', 'sum'])
def test_frame_aggregation_equals_the_whole_video_formula(aggregation):
    layer = tiny_layer(aggregation)
    feats = torch.randn(2, 8, 4, 8, dtype=torch.float64)
    boxes = torch.randn(2, 8, 4, 8, dtype=torch.float64)
    # A late frame with much larger logits forces the running maximum up.
    boxes[:, 6] *= 30
    aggregator = FrameAggregation(aggregation)
    for start, stop in ((0, 3), (3, 4), (4, 8)):
        aggregator.update(feats[:, start:stop],
                          layer.frame_logits(boxes[:, start:stop]))
    if aggregation == 'weighted':
        logits = boxes @ layer.frame_weight_fc.weight.T + \
            layer.frame_weight_fc.bias
        expected = (torch.softmax(logits, 1) * feats).sum(1)
    elif aggregation == 'average':
        expected = feats.mean(1)
    else:
        expected = feats.sum(1)
    torch.testing.assert_close(
        aggregator.result(), expected, rtol=1e-12, atol=1e-12)
    # The layer's own aggregation over all frames at once.
    torch.testing.assert_close(
        aggregator.result(),
        layer.aggregate(feats, boxes),
        rtol=1e-12,
        atol=1e-12)


@pytest.fixture(scope='module')
def model():
    # Frame weights far from uniform, so the online softmax matters.
    model = noisy_tiny_vis_model(frame_weight_scale=20)
    # Keep every pair, so the comparison covers all ten of them.
    model.track_head.test_cfg['score_thr'] = 0.0
    return model


def video(num_frames=NUM_FRAMES):
    return moving_block_video(num_frames)


def whole_and_streamed(model, frames):
    pipeline = build_vis_test_pipeline(model.cfg)
    inputs, sample = preprocess_frames(model, pipeline, list(frames), 0,
                                       len(frames))
    stream = OfflineVideoInference(model, len(frames))
    start = 0
    for size in CHUNKS:
        chunk_inputs, chunk_sample = preprocess_frames(
            model, pipeline, list(frames[start:start + size]), start,
            len(frames))
        assert stream.push(chunk_inputs, chunk_sample) == []
        start += size
    return inputs, sample, stream


def test_streamed_chunks_keep_only_what_the_masks_need(model):
    # Memory grows with the video by each chunk's record: mask features
    # and references only, not the instance-path inputs nor the encoder
    # map the linked modes pool (64 channels here against 8).
    _, _, stream = whole_and_streamed(model, video())
    assert len(stream.records) == len(CHUNKS)
    for record in stream.records:
        assert record.mask_feats is not None
        assert record.inst_feats is None and record.frame_logits is None
        assert record.appearance_feats is None


@torch.no_grad()
def test_streamed_queries_scores_and_mask_logits_equal_whole_video(model):
    frames = video()
    inputs, sample, stream = whole_and_streamed(model, frames)
    head = model.track_head
    encoded = model.encode(inputs, [sample])
    cls_scores, _, inst_queries, references = head(encoded)
    selection = stream.select()
    torch.testing.assert_close(
        stream.inst_queries, inst_queries[-1][0], rtol=0, atol=1e-5)
    whole = select_pairs(cls_scores[-1][0], head.test_cfg['max_per_video'])
    queries = whole.queries
    assert torch.equal(selection.queries, queries)
    assert torch.equal(selection.labels, whole.labels)
    torch.testing.assert_close(
        selection.scores, whole.scores, rtol=0, atol=1e-5)
    img_h, img_w = sample[0].img_shape
    whole_logits = head.instance_masks(
        head.mask_features(encoded), inst_queries[-1][0, queries],
        references[-1][0][:, queries], (img_w, img_h))
    chunk_logits = list(stream.mask_logits())
    assert [first for first, _ in chunk_logits] == [0, 3, 6]
    streamed = torch.cat([logits for _, logits in chunk_logits], 1)
    assert streamed.shape == whole_logits.shape
    # Non-trivial masks: some logits on each side of the threshold.
    assert (whole_logits > 0).any() and (whole_logits < 0).any()
    torch.testing.assert_close(streamed, whole_logits, rtol=0, atol=1e-5)


def test_inference_vis_streaming_equals_whole_video_pass(model):
    frames = video()
    whole = inference_vis(model, frames, chunk_size=None)
    streamed = inference_vis(model, list(frames), chunk_size=3)
    assert len(whole) == len(streamed) == NUM_FRAMES
    assert len(whole.scores) > 0
    np.testing.assert_allclose(streamed.scores, whole.scores, atol=1e-5)
    np.testing.assert_array_equal(streamed.labels, whole.labels)
    np.testing.assert_array_equal(streamed.instance_ids,
                                  np.arange(len(whole.scores)))
    assert whole.frame_size == (90, 150)
    # The mask logits agree to float rounding (the test above), so a pixel
    # whose logit is within rounding of the threshold may flip; no more.
    flipped = sum(
        int((streamed.frame_masks(frame) != whole.frame_masks(frame)).sum())
        for frame in range(NUM_FRAMES))
    assert flipped <= 2
    for frame in range(NUM_FRAMES):
        np.testing.assert_allclose(
            streamed.bboxes[frame], whole.bboxes[frame], atol=1.0)
    assert whole.frame_masks(0).shape == (len(whole.scores), 90, 150)
    assert whole.frame_masks(0).any()


@torch.no_grad()
def test_embedding_frames_pick_the_same_frames_when_streamed(model):
    head = model.track_head
    head.test_cfg['embedding_frames'] = 3
    try:
        frames = video()
        inputs, sample, stream = whole_and_streamed(model, frames)
        picked = embedding_frames(3, NUM_FRAMES, inputs.device)
        assert picked.tolist() == [0, 3, 6]  # one per chunk
        cls_scores, _, inst_queries, _ = head(
            model.encode(inputs, [sample]), picked)
        stream.select()
        torch.testing.assert_close(
            stream.inst_queries, inst_queries[-1][0], rtol=0, atol=1e-5)
        # Without the length, the whole video must come in one push.
        live = OfflineVideoInference(model)
        assert live.frames_wanted() is None
        pipeline = build_vis_test_pipeline(model.cfg)
        first = preprocess_frames(model, pipeline, list(frames[:2]), 0, None)
        live.push(*first)
        with pytest.raises(ValueError, match='num_frames'):
            live.push(*first)
    finally:
        head.test_cfg['embedding_frames'] = None


def test_without_query_decomposition_only_one_chunk_is_possible(model):
    layers = model.track_head.decoder.layers
    layers[1].query_decompose = False
    try:
        frames = video(3)
        # The whole video in one chunk runs the decoder's full forward;
        # the offline mode asks for it whatever the chunk size.
        whole = inference_vis(model, frames, chunk_size=None)
        chunked = inference_vis(model, frames, chunk_size=2)
        assert len(whole) == 3 and whole.masks == chunked.masks
        np.testing.assert_array_equal(whole.scores, chunked.scores)
        offline = OfflineVideoInference(model, 3, chunk_size=2)
        assert offline.frames_wanted() is None
        pipeline = build_vis_test_pipeline(model.cfg)
        offline.push(
            *preprocess_frames(model, pipeline, list(frames[:2]), 0, 3))
        with pytest.raises(ValueError, match='one chunk'):
            offline.push(
                *preprocess_frames(model, pipeline, list(frames[2:]), 2, 3))
    finally:
        layers[1].query_decompose = True


def test_frames_of_another_size_are_refused_with_their_index(model):
    frames = list(video(4))
    frames[2] = frames[2][:80]
    with pytest.raises(ValueError, match='frame 2'):
        inference_vis(model, frames, chunk_size=2)
    with pytest.raises(ValueError, match='no frames'):
        inference_vis(model, [], chunk_size=2)


def test_pairs_without_any_mask_leave_no_gap_in_the_ids():
    """Offline: a selected pair with no mask in any frame is dropped (as
    officially), and the others are numbered 0..n-1 as in ``predict``."""
    model = noisy_tiny_vis_model(noise=0.2)
    model.track_head.test_cfg.update(max_per_video=30, score_thr=0.0)
    try:
        frames = video(4)
        prediction = inference_vis(model, frames, chunk_size=2)
        streamed = list(stream_vis(model, frames, mode='offline'))
        pipeline = build_vis_test_pipeline(model.cfg)
        offline = OfflineVideoInference(model, 4, chunk_size=None)
        offline.push(*preprocess_frames(model, pipeline, list(frames), 0, 4))
        expected = offline.video_results()
    finally:
        model.track_head.test_cfg.update(max_per_video=10, score_thr=0.001)
    shown = sorted({
        i
        for frame in streamed for i in frame.instances.instances_id.tolist()
    })
    # The case this test is about: some of the 30 pairs have no mask.
    assert len(shown) < 30 and shown != list(range(len(shown)))
    count = len(expected[0][1])
    assert len(prediction.scores) == len(shown) == count
    np.testing.assert_array_equal(prediction.instance_ids, np.arange(count))
    np.testing.assert_allclose(
        prediction.scores, expected[0][1].scores.numpy(), rtol=0, atol=1e-6)
    for frame, instances in expected:
        np.testing.assert_array_equal(
            prediction.frame_masks(frame), instances.masks.numpy())

import itertools
import random

import pytest

from mmseqformer.datasets import SeqFormerClipSample, sample_clip_frames


def all_official_clips(length, anchor, num_frames, local_range=(1, 3)):
    """Every clip the official rule can give, by enumerating its choices."""
    frames = list(range(length))
    clips = set()
    offsets = range(local_range[0], local_range[1] + 1)
    for a, b in itertools.product(offsets, offsets):
        local = [anchor, max(0, anchor - a), min(length - 1, anchor + b)]
        num_global = max(num_frames - 3, 0)
        pool = frames[:min(local)] + frames[max(local):]
        if len(pool) <= num_global:
            pool = frames
        for extra in itertools.permutations(pool, num_global):
            clips.add(tuple(sorted(local + list(extra))[:num_frames]))
    return clips


@pytest.mark.parametrize('length, anchor, num_frames', [(8, 3, 5), (8, 0, 5),
                                                        (5, 4, 5), (3, 1, 5),
                                                        (9, 4, 6), (6, 2, 3),
                                                        (6, 2, 1)])
def test_samples_exactly_the_official_clips(length, anchor, num_frames):
    rng = random.Random(0)
    expected = all_official_clips(length, anchor, num_frames)
    seen = {
        tuple(sample_clip_frames(length, anchor, num_frames, rng=rng))
        for _ in range(20000)
    }
    assert seen == expected


def test_one_frame_video_repeats_its_frame():
    assert sample_clip_frames(1, 0, 5) == [0] * 5
    assert sample_clip_frames(1, 0, 8) == [0] * 8


def test_two_frame_video_at_t5_uses_every_frame_and_repeats():
    rng = random.Random(1)
    for _ in range(50):
        clip = sample_clip_frames(2, 1, 5, rng=rng)
        assert len(clip) == 5 and set(clip) == {0, 1} and clip == sorted(clip)


def test_bad_anchor_is_refused():
    with pytest.raises(ValueError, match='outside a video of 4 frames'):
        sample_clip_frames(4, 4, 5)


def _video(length):
    images = [
        dict(img_id=100 + i, frame_id=i, img_path=f'{i}.jpg')
        for i in range(length)
    ]
    return dict(video_id=7, video_length=length, images=images)


def test_transform_collects_sampled_frames_and_flags_the_anchor():
    random.seed(3)
    sampler = SeqFormerClipSample(num_frames=5)
    for anchor in range(6):
        results = sampler.transform(dict(_video(6), key_frame_id=anchor))
        frame_ids = results['frame_id']
        assert len(frame_ids) == 5 and frame_ids == sorted(frame_ids)
        assert results['img_id'] == [100 + i for i in frame_ids]
        assert results['video_id'] == [7] * 5
        assert results['ori_video_length'] == [6] * 5
        assert results['video_length'] == [5] * 5
        flags = results['key_frame_flags']
        assert sum(flags) == 1 and frame_ids[flags.index(True)] == anchor
    assert 'SeqFormerClipSample(num_frames=5' in repr(sampler)


def test_transform_without_anchor_draws_one():
    random.seed(0)
    results = SeqFormerClipSample(num_frames=3).transform(_video(4))
    assert len(results['frame_id']) == 3 and sum(
        results['key_frame_flags']) == 1

"""Training-clip frame sampling of the official SeqFormer code.

Modified from the official ``datasets/ytvos.py`` (wjf5203/SeqFormer, MIT):
the sampling rule is reproduced, the code is not.
"""
import random
from typing import Dict, List, Optional, Sequence, Tuple

from mmdet.datasets.transforms import BaseFrameSample
from mmdet.registry import TRANSFORMS


def sample_clip_frames(video_length: int,
                       anchor: int,
                       num_frames: int = 5,
                       local_range: Tuple[int, int] = (1, 3),
                       rng: Optional[random.Random] = None) -> List[int]:
    """Pick the frames of one training clip around an anchor frame.

    The official rule (``docs/notes/official_behaviour.md`` §4.2), in
    annotated-frame units:

    1. Local frames: the anchor ``f``, ``max(0, f - a)`` and
       ``min(L - 1, f + b)`` with ``a, b ~ randint(*local_range)``.
    2. When ``num_frames > 3``, ``num_frames - 3`` global frames drawn
       without replacement from ``frames[:min(local)] + frames[max(local):]``
       (the second slice includes the largest local frame, as official); if
       that pool is too small, from the whole video; if the whole video is too
       small, every frame plus random repeats.
    3. Sort, and keep the first ``num_frames`` (official quirk: for
       ``num_frames < 3`` the anchor itself may be dropped).

    Duplicated frames are possible, as in the official code.

    NOTE: the official code, for a video shorter than ``num_frames - 3``,
    draws ``num_frames - 3 - L`` frames *without* replacement from ``L``
    frames and fails when ``num_frames - 3 - L > L`` (never at T=5). Here the
    repeats are drawn with replacement, which is the same at T=5.

    Args:
        video_length (int): Number of (annotated) frames ``L``, >= 1.
        anchor (int): The anchor frame index in ``[0, L)``.
        num_frames (int): Frames per clip ``T``. Defaults to 5.
        local_range (tuple[int, int]): Inclusive range of the local offsets
            ``a`` and ``b``. Defaults to (1, 3).
        rng (random.Random, optional): Random source; defaults to the module
            ``random`` (seeded by mmengine's ``randomness`` config).

    Returns:
        list[int]: ``num_frames`` sorted frame indices, possibly repeated.
    """
    if not 0 <= anchor < video_length:
        raise ValueError(f'anchor {anchor} is outside a video of '
                         f'{video_length} frames')
    rng = rng or random
    last = video_length - 1
    local = [
        anchor,
        max(0, anchor - rng.randint(*local_range)),
        min(last, anchor + rng.randint(*local_range)),
    ]
    num_global = num_frames - 3
    chosen = list(local)
    if num_global > 0:
        frames = list(range(video_length))
        pool = frames[:min(local)] + frames[max(local):]
        if len(pool) > num_global:
            chosen += rng.sample(pool, num_global)
        elif video_length >= num_global:
            chosen += rng.sample(frames, num_global)
        else:
            repeats = num_global - video_length
            chosen += [rng.randrange(video_length)
                       for _ in range(repeats)] + frames
    return sorted(chosen)[:num_frames]


@TRANSFORMS.register_module()
class SeqFormerClipSample(BaseFrameSample):
    """Sample a ``num_frames`` training clip the way official SeqFormer does.

    Use it with mmdet's ``TrackImgSampler``, which makes every annotated frame
    the anchor of one item per epoch, as the official dataset does. Without
    an anchor (``key_frame_id``) in the video info, one is drawn uniformly.

    The anchor frame is flagged as the key frame (first copy if repeated);
    the other frames are reference frames.

    Args:
        num_frames (int): Frames per clip ``T``. Defaults to 5.
        local_range (tuple[int, int]): Range of the local frame offsets.
            Defaults to (1, 3).
        collect_video_keys (list[str]): Video-level keys copied into every
            frame. Defaults to ``['video_id', 'video_length']``.
    """

    def __init__(self,
                 num_frames: int = 5,
                 local_range: Sequence[int] = (1, 3),
                 collect_video_keys: Sequence[str] = ('video_id',
                                                      'video_length')):
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.num_frames = num_frames
        self.local_range = tuple(local_range)
        super().__init__(collect_video_keys=list(collect_video_keys))

    def transform(self, video_infos: dict) -> Dict[str, list]:
        """Sample the clip and collate its frames' infos.

        Args:
            video_infos (dict): ``{video_id, images, video_length}`` and
                optionally ``key_frame_id``.

        Returns:
            dict: Lists of per-frame values, plus ``key_frame_flags``.
        """
        length = video_infos['video_length']
        if length < 1:
            # mmdet's video datasets keep a video whose frames were all
            # filtered out, with video_length 0.
            raise ValueError(
                f'video {video_infos.get("video_id")} has no annotated frame '
                'to sample a training clip from')
        anchor = video_infos.get('key_frame_id')
        if anchor is None:
            anchor = random.randrange(length)
        frame_ids = sample_clip_frames(length, anchor, self.num_frames,
                                       self.local_range)
        results = self.prepare_data(video_infos, frame_ids)
        flags = [False] * len(frame_ids)
        flags[frame_ids.index(anchor) if anchor in frame_ids else 0] = True
        results['key_frame_flags'] = flags
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'local_range={self.local_range})')

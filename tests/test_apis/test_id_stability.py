"""Ids of a trained model's instances stay put in the causal modes (the
offline mode's ids are the official top (query, class) pairs, each with
one score for the whole video).

The model is the shipped demo model (``checkpoints/``, made by ``make
demo-model``: the tiny SeqFormer trained on the synthetic set, float16).
"""
import os.path as osp

import numpy as np
import pytest

from mmseqformer.apis import init_vis_model, stream_vis
from mmseqformer.datasets.synthetic.scene import (MovingShape,
                                                  random_background,
                                                  render_frame)
from mmseqformer.testing import DEMO_MODEL, DEMO_MODEL_CONFIG, REPO_ROOT

NUM_FRAMES = 12


@pytest.fixture(scope='module')
def model():
    return init_vis_model(
        osp.join(REPO_ROOT, DEMO_MODEL_CONFIG),
        osp.join(REPO_ROOT, DEMO_MODEL))


@pytest.fixture(scope='module')
def scene():
    """A rectangle visible in every frame, drifting right past an ellipse
    that moves the other way; frames and the rectangle's visible masks."""
    rng = np.random.default_rng(3)
    background = random_background(rng, 120, 160)
    rectangle = MovingShape(
        shape='rectangle',
        color=(40, 200, 230),
        center=np.array([50., 60.]),
        velocity=np.array([3., 0.5]),
        size=26.,
        angle=0.3,
        spin=0.02,
        stretch_phase=0.,
        stretch_speed=0.3)
    ellipse = MovingShape(
        shape='ellipse',
        color=(200, 60, 60),
        center=np.array([120., 40.]),
        velocity=np.array([-2., 1.]),
        size=18.,
        angle=0.,
        spin=0.,
        stretch_phase=1.,
        stretch_speed=0.4)
    frames, masks = [], []
    for t in range(NUM_FRAMES):
        image, visible = render_frame(background, [ellipse, rectangle], t, rng)
        frames.append(image)
        masks.append(visible[1].astype(bool))
    assert all(mask.sum() > 500 for mask in masks)  # visible throughout
    return frames, masks


#: The online mode's per-frame selection still flickers between queries on
#: one object (the issue "Causal modes that keep up with offline"): with the
#: shipped demo model another query takes over the rectangle at the last
#: frame, and in the online mode an id is a query. (The clip mode links
#: frame by frame, and the frame before's mask IoU keeps the id.) Strict,
#: so the fix shows here.
FLICKERS = pytest.mark.xfail(
    strict=True, reason='per-frame selection flickers between queries')


@pytest.mark.parametrize('mode,options', [
    pytest.param('online', {}, marks=FLICKERS),
    ('window', dict(window=4)),
    ('clips', dict(clip_length=3, overlap=1)),
])
def test_an_object_visible_throughout_keeps_its_id(model, scene, mode,
                                                   options):
    frames, masks = scene
    ids = []
    for frame in stream_vis(model, frames, mode=mode, **options):
        truth = masks[frame.frame_index]
        # The best-scoring instance on the rectangle (what a user sees).
        best_id, best_score = None, 0.0
        instances = frame.instances
        for mask, score, track in zip(instances.masks.numpy(),
                                      instances.scores.tolist(),
                                      instances.instances_id.tolist()):
            iou = (mask & truth).sum() / max((mask | truth).sum(), 1)
            if iou > 0.5 and score > best_score:
                best_id, best_score = track, score
        ids.append(best_id)
    assert len(ids) == NUM_FRAMES and ids[0] is not None
    assert ids == [ids[0]] * NUM_FRAMES, ids

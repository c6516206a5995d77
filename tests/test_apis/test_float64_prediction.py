"""A model cast with ``model.double()`` predicts: what the inference hands
back into the network keeps the network's dtype, and the result is the
float32 model's."""
import copy

import numpy as np
import pytest

from mmseqformer.apis import inference_vis
from mmseqformer.testing import moving_block_video as video
from mmseqformer.testing import noisy_tiny_vis_model


@pytest.fixture(scope='module')
def models():
    model = noisy_tiny_vis_model()
    return model, copy.deepcopy(model).double()


@pytest.mark.parametrize('mode, options', [('offline', dict(chunk_size=3)),
                                           ('online', {}),
                                           ('window', dict(window=3)),
                                           ('clips', dict(clip_length=3))])
def test_float64_model_predicts_as_the_float32_one(models, mode, options):
    single, double = models
    frames = video(7)
    expected = inference_vis(single, frames, mode=mode, **options)
    result = inference_vis(double, frames, mode=mode, **options)
    assert len(expected.scores) > 0
    np.testing.assert_allclose(result.scores, expected.scores, atol=1e-5)
    np.testing.assert_array_equal(result.labels, expected.labels)
    for t in range(len(expected)):
        ours, theirs = result.frame_instances(t), expected.frame_instances(t)
        masks, reference = np.asarray(ours.masks), np.asarray(theirs.masks)
        assert masks.shape == reference.shape
        # Masks are thresholded logits: a pixel at the threshold may flip.
        assert (masks != reference).mean() < 1e-3

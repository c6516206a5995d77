"""The path of one ``inference_vis`` call (docs/notes/architecture.md) is
short: at most 12 mmseqformer files between the API and the network.

The network (the model's three inference steps), the config's test
pipeline and the data preprocessor are entered but not followed: their
entry points' files count, their insides (layers, ops, transforms) are the
model's and the data's, not the inference protocol's."""
import os.path as osp
import sys
from collections import Counter

import numpy as np
from mmcv.transforms import Compose

import mmseqformer
from mmseqformer.apis import inference_vis
from mmseqformer.models.vis import SeqFormer
from mmseqformer.testing import noisy_tiny_vis_model

PACKAGE_ROOT = osp.dirname(mmseqformer.__file__)
MAX_FILES = 12


def files_passed(call, black_boxes) -> Counter:
    """mmseqformer files whose functions ``call()`` enters (calls per
    file), not following calls inside a function of ``black_boxes``."""
    boxes = {function.__code__ for function in black_boxes}
    files, open_boxes = Counter(), []

    def profile(frame, event, arg):
        if event == 'call':
            if not open_boxes and frame.f_code.co_filename.startswith(
                    PACKAGE_ROOT):
                files[osp.relpath(frame.f_code.co_filename, PACKAGE_ROOT)] += 1
            if frame.f_code in boxes:
                open_boxes.append(frame)
        elif event == 'return' and open_boxes and frame is open_boxes[-1]:
            open_boxes.pop()

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return files


def test_one_inference_vis_call_passes_at_most_12_files():
    model = noisy_tiny_vis_model()
    frames = np.random.default_rng(0).integers(
        0, 255, (5, 90, 150, 3), dtype=np.uint8)
    black_boxes = (SeqFormer.frame_paths, SeqFormer.instance_path,
                   SeqFormer.instance_masks, Compose.__init__,
                   Compose.__call__, type(model.data_preprocessor).forward)
    files = files_passed(lambda: inference_vis(model, frames, chunk_size=2),
                         black_boxes)
    # The protocol's rooms are all there...
    for name in ('apis/inference.py', 'models/vis/video_inference.py',
                 'models/vis/offline_inference.py',
                 'models/vis/video_engine.py', 'models/vis/seqformer.py'):
        assert files[name] > 0, name
    # ...the network's are not followed (frame_paths ran 3 times).
    assert not any(name.startswith('ops/') for name in files)
    assert len(files) <= MAX_FILES, sorted(files)


def test_the_tracer_does_not_follow_black_boxes():

    def outer():
        return inner() + 1

    def inner():
        return osp.join('a', 'b') and 1

    assert files_passed(outer, ()) == Counter()  # not mmseqformer files
    model = noisy_tiny_vis_model()
    frames = np.zeros((2, 64, 96, 3), dtype=np.uint8)
    every = files_passed(lambda: inference_vis(model, frames), ())
    boxed = files_passed(lambda: inference_vis(model, frames),
                         (SeqFormer.frame_paths, ))
    assert 'ops/msda_sampling.py' in every
    assert set(boxed) < set(every)

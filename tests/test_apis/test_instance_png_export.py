"""VideoPrediction.write_instance_pngs: PNGs that decode to the predicted
masks, and their instances.json."""
import json
import os

import numpy as np
import pycocotools.mask as mask_util
import pytest
from PIL import Image

from mmseqformer.apis import VideoPrediction, inference_vis
from mmseqformer.datasets.converters import read_instance_png
from mmseqformer.testing import moving_block_video, noisy_tiny_vis_model


@pytest.fixture(scope='module')
def model():
    """The tiny SeqFormer with random weights that give varied masks."""
    model = noisy_tiny_vis_model()
    model.track_head.test_cfg['score_thr'] = 0.0  # keep every pair
    return model


@pytest.fixture(scope='module')
def prediction(model):
    return inference_vis(model, video(), chunk_size=2)


def video(num_frames=4):
    return moving_block_video(num_frames, (48, 64), step=6)


def expected_id_map(prediction, frame, score_thr):
    """The documented rule, written independently of the code: each pixel
    shows the highest-scoring instance (>= score_thr) that covers it, as
    its instance id + 1; 0 where none does."""
    masks = prediction.frame_masks(frame)
    height, width = prediction.frame_size
    id_map = np.zeros((height, width), dtype=np.int64)
    best = np.full((height, width), -1.0)
    for index, score in enumerate(prediction.scores):
        if score < score_thr:
            continue
        wins = masks[index] & (score > best)
        id_map[wins] = prediction.instance_ids[index] + 1
        best[wins] = score
    return id_map


@pytest.mark.parametrize('score_thr', [0.0, 'median'])
def test_pngs_decode_to_the_predicted_masks(model, prediction, tmp_path,
                                            score_thr):
    assert len(prediction.scores) >= 3
    if score_thr == 'median':  # leaves some instances out
        score_thr = float(np.median(prediction.scores))
    out = str(tmp_path / 'masks')
    index = prediction.write_instance_pngs(
        out, score_thr=score_thr, category_ids=(2, 5, 9))
    assert sorted(
        os.listdir(out)) == [f'{frame:05d}.png'
                             for frame in range(4)] + ['instances.json']
    assert json.load(open(os.path.join(out, 'instances.json'))) == index
    overlaps = 0
    for frame in range(4):
        png = read_instance_png(os.path.join(out, f'{frame:05d}.png'))
        np.testing.assert_array_equal(
            png, expected_id_map(prediction, frame, score_thr))
        np.testing.assert_array_equal(
            png, prediction.instance_id_map(frame, score_thr))
        kept = prediction.frame_masks(frame)[prediction.scores >= score_thr]
        overlaps += int((kept.sum(0) > 1).sum())
        # Pixels no kept instance covers are background.
        assert ((png == 0) == ~kept.any(0)).all()
    if score_thr == 0.0:
        assert overlaps > 0  # the overlap rule was exercised
    kept = np.flatnonzero(prediction.scores >= score_thr)
    assert index['num_frames'] == 4 and index['frame_size'] == [48, 64]
    assert sorted(
        index['instances'],
        key=int) == [str(prediction.instance_ids[i] + 1) for i in kept]
    for i in kept:
        entry = index['instances'][str(prediction.instance_ids[i] + 1)]
        label = int(prediction.labels[i])
        frames = [
            t for t in range(4) if mask_util.area(prediction.masks[t][i]) > 0
        ]
        assert entry == dict(
            instance_id=int(prediction.instance_ids[i]),
            label=label,
            category_id=(2, 5, 9)[label],
            class_name=model.dataset_meta['classes'][label],
            score=pytest.approx(float(prediction.scores[i])),
            first_frame=frames[0],
            last_frame=frames[-1])


def encode(mask):
    rle = mask_util.encode(
        np.asfortranarray(mask[..., None].astype(np.uint8)))[0]
    rle['counts'] = rle['counts'].decode('utf-8')
    return rle


def test_higher_score_on_top_large_ids_and_absent_frames(tmp_path):
    """Hand-made prediction: two overlapping instances, the later scoring
    lower; an id above 255 (16-bit PNGs); an instance absent from frame
    0."""
    low, high = np.zeros((2, 6, 8), dtype=bool)
    low[1:5, 1:6] = True
    high[2:6, 4:8] = True
    empty = np.zeros((6, 8), dtype=bool)
    prediction = VideoPrediction(
        scores=np.array([0.9, 0.4]),
        labels=np.array([0, 1]),
        instance_ids=np.array([0, 299]),
        masks=[[encode(high), encode(empty)], [encode(high),
                                               encode(low)]],
        bboxes=[np.zeros((2, 4))] * 2,
        frame_size=(6, 8))
    out = str(tmp_path / 'masks')
    index = prediction.write_instance_pngs(out)
    frame_1 = read_instance_png(os.path.join(out, '00001.png'))
    np.testing.assert_array_equal(frame_1,
                                  np.where(high, 1, np.where(low, 300, 0)))
    with Image.open(os.path.join(out, '00000.png')) as image:
        assert image.mode != 'P'  # 16-bit in every frame of the video
    assert (index['instances']['300']['first_frame'],
            index['instances']['300']['last_frame']) == (1, 1)
    assert index['instances']['1']['class_name'] is None
    assert index['instances']['1']['category_id'] == 1  # label + 1
    # Written again: the earlier output is replaced as a whole.
    prediction.write_instance_pngs(out, score_thr=0.5)
    assert list(json.load(open(os.path.join(out,
                                            'instances.json')))['instances']) \
        == ['1']
    np.testing.assert_array_equal(
        read_instance_png(os.path.join(out, '00001.png')), high.astype(int))

"""A ground-truth instance null in every frame counts as the official
evaluator counts it.

The crafted case: two videos, one with an instance whose segmentations are
all null. The expected AP comes from a second route: the same ground-truth
file and a results file fed straight to mmdet's copies of the official
``YTVOS``/``YTVOSeval`` classes, as the official evaluation script uses them.
"""
import json

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmdet.evaluation.functional import YTVIS, YTVISeval
from mmdet.registry import METRICS
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from mmseqformer.datasets import YouTubeVISFormatDataset
from mmseqformer.evaluation import numpy_float_alias
from mmseqformer.evaluation.metrics.youtube_vis_eval_metric import \
    null_instances_by_video
from tests.test_evaluation.ytvis_pipelines import PIPELINE

HEIGHT, WIDTH = 24, 32


def box_mask(x0, y0, x1, y1):
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def rle(mask):
    encoded = mask_utils.encode(np.asfortranarray(mask))
    encoded['counts'] = encoded['counts'].decode()
    return encoded


#: Ground truth: (video, category, masks per frame; None = absent).
GT = [
    (1, 7, [box_mask(2, 2, 12, 12)] * 3),
    (1, 7, [None] * 3),  # null in every frame
    (2, 7, [box_mask(10, 4, 20, 20), None]),
    (2, 9, [box_mask(0, 0, 8, 8), box_mask(1, 1, 9, 9)]),
]
#: Predictions: (video, category, score, masks per frame).
PREDICTIONS = [
    (1, 7, 0.95, [box_mask(20, 10, 30, 20)] * 3),  # a false positive
    (1, 7, 0.9, [box_mask(2, 2, 12, 12)] * 3),
    (2, 7, 0.8, [box_mask(12, 4, 20, 20), None]),
    (2, 9, 0.7, [box_mask(0, 0, 8, 8),
                 box_mask(1, 1, 9, 9)]),
]
LENGTHS = {1: 3, 2: 2}


def official_gt_file(folder, keep_null=True):
    annotations = []
    for index, (video, category, masks) in enumerate(GT):
        if not keep_null and all(m is None for m in masks):
            continue
        annotations.append(
            dict(
                id=index + 1,
                video_id=video,
                category_id=category,
                iscrowd=0,
                height=HEIGHT,
                width=WIDTH,
                segmentations=[None if m is None else rle(m) for m in masks],
                bboxes=[
                    None if m is None else list(
                        mask_utils.toBbox(rle(m)).tolist()) for m in masks
                ],
                areas=[None if m is None else int(m.sum()) for m in masks]))
    content = dict(
        videos=[
            dict(
                id=video,
                width=WIDTH,
                height=HEIGHT,
                length=length,
                file_names=[f'v{video}/{i:05d}.png' for i in range(length)])
            for video, length in LENGTHS.items()
        ],
        categories=[
            dict(id=7, name='seven', supercategory='object'),
            dict(id=9, name='nine', supercategory='object')
        ],
        annotations=annotations)
    path = folder / ('valid.json' if keep_null else 'valid_dropped.json')
    path.write_text(json.dumps(content))
    return str(path)


def official_results():
    return [
        dict(
            video_id=video,
            category_id=category,
            score=score,
            segmentations=[None if m is None else rle(m) for m in masks])
        for video, category, score, masks in PREDICTIONS
    ]


def official_map(gt_path):
    """mAP the way the official YouTube-VIS evaluation is run."""
    gt = YTVIS(gt_path)
    evaluation = YTVISeval(gt, gt.loadRes(official_results()), 'segm')
    with numpy_float_alias():
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation.stats[0]


@pytest.fixture(scope='module')
def crafted(tmp_path_factory):
    root = tmp_path_factory.mktemp('null_instances')
    for video, length in LENGTHS.items():
        (root / 'frames' / f'v{video}').mkdir(parents=True)
        for index in range(length):
            cv2.imwrite(
                str(root / 'frames' / f'v{video}' / f'{index:05d}.png'),
                np.full((HEIGHT, WIDTH, 3), 128, np.uint8))
    return root


def our_map(root, gt_path):
    dataset = YouTubeVISFormatDataset(
        data_root=str(root),
        ann_file=gt_path,
        data_prefix=dict(img_path='frames'),
        test_mode=True,
        pipeline=PIPELINE)
    evaluator = Evaluator([METRICS.build(dict(type='YouTubeVISEvalMetric'))])
    evaluator.dataset_meta = dataset.metainfo
    cat_ids = list(dataset.metainfo['cat_ids'])
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        video = sample[0].video_id
        tracks = [p for p in PREDICTIONS if p[0] == video]
        for frame_id, frame in enumerate(sample):
            present = [(track_id, p) for track_id, p in enumerate(tracks)
                       if p[3][frame_id] is not None]
            masks = np.stack([p[3][frame_id] for _, p in present])
            frame.pred_track_instances = InstanceData(
                masks=torch.from_numpy(masks).bool(),
                bboxes=torch.zeros(len(present), 4),
                labels=torch.tensor([cat_ids.index(p[1]) for _, p in present]),
                scores=torch.tensor([p[2] for _, p in present]),
                instances_id=torch.tensor([t for t, _ in present]))
        evaluator.process([sample])
    return evaluator.evaluate(len(dataset))['youtube_vis/segm_mAP']


def test_all_null_instance_counts_as_in_the_official_evaluator(crafted):
    official = official_map(official_gt_file(crafted))
    dropped = official_map(official_gt_file(crafted, keep_null=False))
    # The crafted case tells counting from dropping.
    assert round(official, 3) != round(dropped, 3)
    # mmdet's metric rounds to 3 decimals.
    assert our_map(crafted, official_gt_file(crafted)) == round(official, 3)


def test_null_instances_are_found_with_label_category_ids(crafted):
    content = json.loads(open(official_gt_file(crafted)).read())
    found = null_instances_by_video(content, cat_ids=(7, 9))
    assert list(found) == [1]
    (entry, ) = found[1]
    assert entry['category_id'] == 1 and entry['iscrowd'] == 0
    # Ids above every instance id, so they never collide.
    assert entry['id'] > len(GT)
    # A category the dataset does not use is left out, as the dataset does.
    assert null_instances_by_video(content, cat_ids=(9, )) == {}

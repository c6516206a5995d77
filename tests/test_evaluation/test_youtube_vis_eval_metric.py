import json
import os.path as osp
import zipfile

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmdet.registry import METRICS
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmseqformer.datasets import YouTubeVISFormatDataset
from mmseqformer.evaluation import numpy_float_alias
from tests.test_evaluation.ytvis_pipelines import PIPELINE


@pytest.fixture(scope='module')
def valid_set(synthetic_root):
    # Module fixtures are made before the autouse scope fixture runs.
    init_default_scope('mmdet')
    return YouTubeVISFormatDataset(
        data_root=synthetic_root,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=PIPELINE)


def predict_from_ground_truth(sample, drop_label=None, score=0.9):
    """Predictions equal to the ground truth of every frame."""
    for frame in sample:
        gt = frame.gt_instances
        keep = gt.labels != drop_label if drop_label is not None else \
            torch.ones(len(gt), dtype=torch.bool)
        masks = torch.from_numpy(gt.masks.to_ndarray()).bool()[keep]
        frame.pred_track_instances = InstanceData(
            masks=masks,
            bboxes=gt.bboxes[keep],
            labels=gt.labels[keep],
            scores=torch.full((int(keep.sum()), ), score),
            instances_id=gt.instances_ids[keep])
    return sample


def evaluate(dataset, metric_cfg, evaluator=None, **predict_kwargs):
    if evaluator is None:
        evaluator = Evaluator(
            [METRICS.build(dict(type='YouTubeVISEvalMetric', **metric_cfg))])
        evaluator.dataset_meta = dataset.metainfo
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        evaluator.process(
            [predict_from_ground_truth(sample, **predict_kwargs)])
    return evaluator.evaluate(len(dataset))


def test_perfect_predictions_give_ap_one_under_numpy2(valid_set):
    metrics = evaluate(valid_set, {})
    assert set(metrics) == {
        f'youtube_vis/segm_{item}'
        for item in ('mAP', 'mAP_50', 'mAP_75', 'AR@1', 'AR@10')
    }
    for item in ('mAP', 'mAP_50', 'mAP_75', 'AR@10'):
        assert metrics[f'youtube_vis/segm_{item}'] == 1.0, metrics
    # AR1 keeps one prediction per video and class: below 1 where a video
    # holds two instances of a class.
    assert 0.5 < metrics['youtube_vis/segm_AR@1'] <= 1.0
    assert not hasattr(np, 'float')  # the alias did not leak


def test_missing_class_lowers_ap(valid_set):
    metrics = evaluate(valid_set, {}, drop_label=0)
    # One of the three classes is never predicted: AP is about 2/3.
    assert 0.3 < metrics['youtube_vis/segm_mAP'] < 0.9


def test_the_same_metric_evaluates_twice(valid_set):
    evaluator = Evaluator([METRICS.build(dict(type='YouTubeVISEvalMetric'))])
    evaluator.dataset_meta = valid_set.metainfo
    first = evaluate(valid_set, {}, evaluator=evaluator, drop_label=1)
    second = evaluate(valid_set, {}, evaluator=evaluator, drop_label=1)
    assert first == second and first['youtube_vis/segm_mAP'] < 1.0


def test_no_prediction_gives_zero(valid_set):
    metric = METRICS.build(dict(type='YouTubeVISEvalMetric'))
    metric.dataset_meta = valid_set.metainfo
    assert all(value == 0.0
               for value in metric.compute_metrics([([], [{}])]).values())


def test_format_only_writes_submission_with_dataset_ids(
        valid_set, synthetic_root, tmp_path):
    prefix = str(tmp_path / 'sub' / 'results')
    assert evaluate(valid_set, dict(format_only=True,
                                    outfile_prefix=prefix)) == {}
    with zipfile.ZipFile(prefix + '.submission_file.zip') as zf:
        assert zf.namelist() == ['results.json']
        results = json.loads(zf.read('results.json'))
    with open(prefix + '.json') as f:
        assert json.load(f) == results
    with open(osp.join(synthetic_root, 'valid.json')) as f:
        official = json.load(f)
    videos = {video['id']: video for video in official['videos']}
    expected = {(a['video_id'], a['category_id'])
                for a in official['annotations']}
    assert {(r['video_id'], r['category_id']) for r in results} == expected
    for result in results:
        assert set(result) == {
            'video_id', 'category_id', 'score', 'segmentations'
        }
        video = videos[result['video_id']]
        assert len(result['segmentations']) == video['length']
        for rle in result['segmentations']:
            if rle is not None:
                assert rle['size'] == [video['height'], video['width']]
    # An instance absent from a frame has a null segmentation there.
    absent = [a for a in official['annotations'] if None in a['segmentations']]
    assert absent, 'the synthetic valid split should have absent frames'
    nulls = sum(rle is None for r in results for rle in r['segmentations'])
    assert nulls == sum(a['segmentations'].count(None) for a in absent)


def test_numpy_float_alias_is_scoped():
    with numpy_float_alias():
        assert np.zeros(2).astype(np.float).dtype == np.float64
    assert not hasattr(np, 'float')


def test_rle_masks_match_ground_truth(valid_set, tmp_path):
    prefix = str(tmp_path / 'results')
    evaluate(valid_set, dict(format_only=True, outfile_prefix=prefix))
    with open(prefix + '.json') as f:
        results = json.load(f)
    with open(osp.join(valid_set.data_root, 'valid.json')) as f:
        official = json.load(f)
    gt_by_key = {(a['video_id'], a['category_id'],
                  json.dumps(a['segmentations'][0])): a
                 for a in official['annotations']}
    matched = 0
    for result in results:
        for gt in gt_by_key.values():
            if gt['video_id'] != result['video_id']:
                continue
            same = all(
                (p is None) == (g is None) and (p is None or (
                    mask_utils.decode(p) == mask_utils.decode(g)).all())
                for p, g in zip(result['segmentations'], gt['segmentations']))
            matched += same
    assert matched == len(official['annotations'])


def test_video_without_instances_is_evaluated(synthetic_root, tmp_path):
    with open(osp.join(synthetic_root, 'valid.json')) as f:
        content = json.load(f)
    empty_video = content['videos'][1]['id']
    content['annotations'] = [
        a for a in content['annotations'] if a['video_id'] != empty_video
    ]
    path = tmp_path / 'valid_with_empty_video.json'
    path.write_text(json.dumps(content))
    dataset = YouTubeVISFormatDataset(
        data_root=synthetic_root,
        ann_file=str(path),
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=PIPELINE)
    assert len(dataset) == len(content['videos'])
    metrics = evaluate(dataset, {})
    # Ground truth predicted perfectly elsewhere; no prediction there.
    assert metrics['youtube_vis/segm_mAP'] == 1.0

"""Identity metrics (HOTA, IDF1, ID switches) against TrackEval's own CLI.

The golden numbers in tests/data/identity_metrics/trackeval_cli/ were made by
TrackEval's unchanged ``scripts/run_youtube_vis.py`` on the crafted files
beside them (docs/user_guides/identity_metrics.md has the command): ``raw`` on
``results.json`` as it is, ``decided`` on ``results_decided.json``, the hard
decisions chosen by hand in ``make_inputs.py``.
"""
import csv
import glob
import json
import math
import os.path as osp
import re
import sys
import zipfile

import numpy as np
import pycocotools.mask as mask_util
import pytest
from mmdet.registry import METRICS
from mmengine.evaluator import Evaluator

from mmseqformer.datasets.ytvis_format import VISAnnotationError
from mmseqformer.evaluation import VISTrackMetric, evaluate_identity_files
# yapf: disable  (isort lays out this import)
from mmseqformer.evaluation.functional import (ALL_VIDEOS, CLASS_AVERAGED,
                                               DET_AVERAGED,
                                               check_ground_truth,
                                               check_results,
                                               evaluate_identity,
                                               import_trackeval_runner,
                                               load_ground_truth, load_results,
                                               select_hard_decisions)
# yapf: enable
from mmseqformer.testing import REPO_ROOT, run_tool
from .test_youtube_vis_eval_metric import PIPELINE, predict_from_ground_truth

pytest.importorskip('trackeval', reason='identity metrics need trackeval')

DATA = osp.join(REPO_ROOT, 'tests', 'data', 'identity_metrics')
GT = osp.join(DATA, 'gt.json')
RESULTS = osp.join(DATA, 'results.json')
GOLDEN = osp.join(DATA, 'trackeval_cli')
#: The TrackEval script ran once per "tracker" with our settings that give
#: the same decisions: everything (raw) and our defaults (decided).
RUNS = {
    'raw': dict(score_thr=0.0, one_class_per_track=False),
    'decided': dict(),
}


@pytest.fixture(scope='module')
def evaluations():
    return {
        run: evaluate_identity_files(RESULTS, GT, **options)
        for run, options in RUNS.items()
    }


def detailed_row(result: dict) -> dict:
    """Our result of one (video, class) as TrackEval's detailed CSV names
    its columns: arrays per alpha (5..95) and their mean (AUC)."""
    row = {}
    for fields in result.values():
        for name, value in fields.items():
            if np.ndim(value) == 1:
                for alpha, item in zip(range(5, 100, 5), value):
                    row[f'{name}___{alpha}'] = item
                row[f'{name}___AUC'] = np.mean(value)
            else:
                row[name] = value
    return row


@pytest.mark.parametrize('run', sorted(RUNS))
def test_every_number_equals_trackeval_cli(evaluations, run):
    tree = evaluations[run].tree
    files = sorted(glob.glob(osp.join(GOLDEN, run, '*_detailed.csv')))
    assert len(files) == 6  # 4 classes and the 2 combinations
    compared, worst = 0, 0.0
    for path in files:
        class_key = osp.basename(path)[:-len('_detailed.csv')]
        with open(path, newline='') as f:
            rows = list(csv.DictReader(f))
        for golden in rows:
            video = ALL_VIDEOS if golden['seq'] == 'COMBINED' else \
                golden['seq']
            ours = detailed_row(tree[video][class_key])
            for column, text in golden.items():
                if column == 'seq':
                    continue
                expected, got = float(text), float(ours[column])
                if math.isnan(expected):
                    assert math.isnan(got), (path, video, column)
                    continue
                worst = max(worst, abs(expected - got))
                assert got == pytest.approx(expected, abs=1e-6), \
                    (path, golden['seq'], column)
                compared += 1
    # Every class file has one row per video (4) plus the combined one.
    assert compared > 2000 and worst < 1e-12


def printed_tables(run: str) -> dict:
    """The rows TrackEval's script printed: {(metric, class key): {field:
    text}}."""
    with open(osp.join(GOLDEN, 'stdout.txt')) as f:
        lines = f.read().splitlines()
    tables = {}
    for header, row in zip(lines, lines[1:]):
        match = re.match(rf'(\w+): {run}-(\w+)\s', header)
        if match and row.startswith('COMBINED'):
            tables[match.groups()] = dict(
                zip(header.split()[2:],
                    row.split()[1:]))
    return tables


@pytest.mark.parametrize('run', sorted(RUNS))
def test_printed_summary_equals_trackeval_cli(evaluations, run):
    tables = printed_tables(run)
    assert len(tables) == 8  # HOTA, CLEAR, Identity, Count x 2 combinations
    for (metric, class_key), printed in tables.items():
        summary = evaluations[run].summary(class_key)
        for field, text in printed.items():
            value = summary[field]
            ours = str(value) if isinstance(value, int) else \
                '{0:1.5g}'.format(100 * value)
            assert ours == text, (metric, class_key, field)


def test_headline_numbers(evaluations):
    # The numbers in docs/user_guides/identity_metrics.md (TrackEval printed
    # them).
    decided = evaluations['decided'].summary()
    assert round(100 * decided['HOTA'], 3) == 47.68
    assert round(100 * decided['IDF1'], 3) == 44.828
    assert decided['IDSW'] == 2
    raw = evaluations['raw'].summary()
    assert round(100 * raw['HOTA'], 3) == 54.677
    # The mean over classes counts the class nobody predicts or annotates
    # (bird) as 0: one reason the pooled numbers are the headline.
    assert evaluations['decided'].summary('bird')['HOTA'] == 0.0
    assert evaluations['decided'].summary(CLASS_AVERAGED)['HOTA'] < \
        decided['HOTA']


def test_hard_decisions_are_the_hand_picked_ones():
    gt = check_ground_truth(load_ground_truth(GT), GT)
    results = check_results(load_results(RESULTS), gt, RESULTS)
    expected = check_results(
        load_results(osp.join(DATA, 'results_decided.json')), gt, 'decided')
    assert select_hard_decisions(results) == expected
    # Without one class per track the cat listing of the dog's mask (0.4)
    # stays; at 0 nothing is dropped.
    kept = select_hard_decisions(results, 0.3, one_class_per_track=False)
    assert [results.index(entry) for entry in kept] == [0, 1, 2, 3, 4, 5, 8, 9]
    assert select_hard_decisions(results, 0.0, False) == results


def test_an_empty_mask_is_no_detection():
    """A results file gives a track a mask in every frame, empty where it is
    absent; those frames hold no detection (no false positive)."""
    gt = check_ground_truth(load_ground_truth(GT), GT)
    results = check_results(load_results(RESULTS), gt, RESULTS)
    sizes = {
        video['id']: (video['height'], video['width'])
        for video in gt['videos']
    }

    def empty(video_id):
        rle = mask_util.encode(
            np.zeros(sizes[video_id], dtype=np.uint8, order='F'))
        return dict(rle, counts=rle['counts'].decode())

    padded = [
        dict(
            entry,
            segmentations=[
                empty(entry['video_id']) if rle is None else rle
                for rle in entry['segmentations']
            ]) for entry in results
    ]
    assert padded != results  # some tracks are absent from some frames
    assert select_hard_decisions(padded) == select_hard_decisions(results)
    with_empty = evaluate_identity(gt, padded).summary()
    without = evaluate_identity(gt, results).summary()
    for field in ('HOTA', 'DetPr', 'IDF1', 'IDSW', 'Dets'):
        assert with_empty[field] == without[field], field


def test_no_prediction_scores_zero():
    evaluation = evaluate_identity(load_ground_truth(GT), [])
    summary = evaluation.summary()
    assert [summary[k] for k in ('HOTA', 'DetA', 'AssA', 'IDF1', 'IDSW')] \
        == [0.0, 0.0, 0.0, 0.0, 0]
    assert summary['GT_Dets'] == 27 and summary['Dets'] == 0


def test_video_without_ground_truth_counts_its_false_positives(evaluations):
    tree = evaluations['decided'].tree
    person = tree['empty']['person']
    assert person['Count']['GT_Dets'] == 0 and person['Count']['Dets'] == 4
    assert person['CLEAR']['CLR_FP'] == 4
    assert np.all(person['HOTA']['HOTA'] == 0)


def test_results_zip_reads_as_its_json(tmp_path):
    path = tmp_path / 'results.submission_file.zip'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.write(RESULTS, 'results.json')
    assert load_results(str(path)) == load_results(RESULTS)


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    path.write_text(
        content if isinstance(content, str) else json.dumps(content))
    return str(path)


def broken_results(change):
    results = json.load(open(RESULTS))
    change(results)
    return results


@pytest.mark.parametrize('content, message', [
    ('[{"video_id": 1,', r'not valid JSON'),
    ({
        'annotations': []
    }, r'a results file is a list'),
    (broken_results(lambda r: r[3].update(video_id=99)),
     r'entry \[3\] refers to video_id 99'),
    (broken_results(lambda r: r[2].update(category_id=2)),
     r'entry \[2\] has the category_id 2'),
    (broken_results(lambda r: r[0]['segmentations'].pop()),
     r'entry \[0\] has 5 "segmentations" but video 1 has 6 frames'),
    (broken_results(lambda r: r[1].pop('score')),
     r'entry \[1\] lacks the key\(s\) \[\'score\'\]'),
    (broken_results(lambda r: r[1].update(score='high')),
     r'entry \[1\] has the score \'high\''),
    (broken_results(lambda r: r[4]['segmentations'][2].update(size=[4, 4])),
     r'entry \[4\] frame 2: mask size \[4, 4\]'),
])
def test_bad_results_name_file_and_entry(tmp_path, content, message):
    path = write(tmp_path, 'bad_results.json', content)
    with pytest.raises(VISAnnotationError, match=message) as info:
        evaluate_identity_files(path, GT)
    assert path in str(info.value)


def test_bad_ground_truth_names_file(tmp_path):
    content = json.load(open(GT))
    content['annotations'] = None
    path = write(tmp_path, 'no_gt.json', content)
    with pytest.raises(VISAnnotationError, match='has no ground truth'):
        evaluate_identity_files(RESULTS, path)
    content = json.load(open(GT))
    content['annotations'][2]['segmentations'].append(None)
    path = write(tmp_path, 'long_track.json', content)
    with pytest.raises(VISAnnotationError, match=re.escape(path)):
        evaluate_identity_files(RESULTS, path)
    with pytest.raises(FileNotFoundError, match='missing.json'):
        evaluate_identity_files(str(tmp_path / 'missing.json'), GT)


def test_missing_trackeval_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, 'trackeval', None)
    monkeypatch.delitem(
        sys.modules,
        'mmseqformer.evaluation.functional.trackeval_youtube_vis',
        raising=False)
    with pytest.raises(ImportError, match='pip install --no-deps trackeval'):
        import_trackeval_runner()
    with pytest.raises(ImportError, match='opencv-python-headless'):
        METRICS.build(dict(type='VISTrackMetric'))


@pytest.mark.slow
def test_command_line_prints_the_shared_numbers(evaluations):
    lines = run_tool(
        [sys.executable, 'tools/analysis_tools/eval_identity.py', RESULTS,
         GT]).splitlines()
    assert lines[0].startswith('7 of 10 predicted tracks kept')
    pooled = lines[2].split()
    assert pooled[:3] == ['all', 'classes', '(pooled)']
    summary = evaluations['decided'].summary(DET_AVERAGED)
    assert [float(v) for v in pooled[3:7]] == [
        round(100 * summary[k], 3) for k in ('HOTA', 'DetA', 'AssA', 'IDF1')
    ]
    assert int(pooled[7]) == summary['IDSW'] == 2


def test_unknown_metric_item_is_refused():
    with pytest.raises(KeyError, match='unknown metric_items'):
        VISTrackMetric(metric_items=['HOTA', 'mAP'])


# The metric inside mmengine's evaluator: the same numbers as the file tool.


@pytest.fixture(scope='module')
def valid_set(synthetic_root):
    from mmengine.registry import init_default_scope

    from mmseqformer.datasets import YouTubeVISFormatDataset
    init_default_scope('mmdet')
    return YouTubeVISFormatDataset(
        data_root=synthetic_root,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=PIPELINE)


def swap_identities_midway(sample):
    """From the middle frame on, the first two instances trade ids."""
    ids = sorted({
        int(i)
        for frame in sample for i in frame.pred_track_instances.instances_id
    })
    if len(ids) < 2:
        return sample
    first, second = ids[:2]
    for frame in sample[len(sample) // 2:]:
        pred = frame.pred_track_instances
        old = pred.instances_id.clone()
        pred.instances_id[old == first] = second
        pred.instances_id[old == second] = first
    return sample


def evaluate_metric(dataset, metric_cfg, low_score_label=None):
    evaluator = Evaluator(
        [METRICS.build(dict(type='VISTrackMetric', **metric_cfg))])
    evaluator.dataset_meta = dataset.metainfo
    for index in range(len(dataset)):
        sample = predict_from_ground_truth(dataset[index]['data_samples'])
        for frame in sample if low_score_label is not None else []:
            pred = frame.pred_track_instances
            pred.scores[pred.labels == low_score_label] = 0.2
        evaluator.process([swap_identities_midway(sample)])
    return evaluator.evaluate(len(dataset))


def test_metric_equals_tool_on_its_written_results(valid_set, tmp_path):
    prefix = str(tmp_path / 'results')
    metrics = evaluate_metric(
        valid_set, dict(outfile_prefix=prefix), low_score_label=1)
    assert set(metrics) == {
        f'youtube_vis/{k}'
        for k in ('HOTA', 'DetA', 'AssA', 'IDF1', 'IDSW')
    }
    assert metrics['youtube_vis/IDSW'] > 0
    assert 0 < metrics['youtube_vis/HOTA'] < 1
    # The same ground truth in both layouts gives the same numbers.
    for gt_file in ('valid.json', 'annotations/synthetic_vis_valid.json'):
        from_files = evaluate_identity_files(
            prefix + '.json', osp.join(valid_set.data_root, gt_file))
        summary = from_files.summary()
        for key, value in metrics.items():
            assert summary[key.split('/')[1]] == value, (gt_file, key)


def test_metric_perfect_tracks_score_one(valid_set):
    evaluator = Evaluator([METRICS.build(dict(type='VISTrackMetric'))])
    evaluator.dataset_meta = valid_set.metainfo
    for index in range(len(valid_set)):
        evaluator.process(
            [predict_from_ground_truth(valid_set[index]['data_samples'])])
    metrics = evaluator.evaluate(len(valid_set))
    assert metrics == {
        'youtube_vis/HOTA': 1.0,
        'youtube_vis/DetA': 1.0,
        'youtube_vis/AssA': 1.0,
        'youtube_vis/IDF1': 1.0,
        'youtube_vis/IDSW': 0
    }


def cocovid_with(synthetic_root, tmp_path, change) -> str:
    path = osp.join(synthetic_root, 'annotations', 'synthetic_vis_valid.json')
    with open(path) as f:
        content = json.load(f)
    change(content['annotations'])
    return write(tmp_path, 'cocovid.json', content)


def relabel_second_frame(annotations):
    """Give the second frame of a track another category."""
    seen = set()
    for ann in annotations:
        if ann['instance_id'] in seen:
            ann['category_id'] = 2 if ann['category_id'] != 2 else 5
            return
        seen.add(ann['instance_id'])


@pytest.mark.parametrize('change, message', [
    (lambda anns: anns[0].pop('segmentation'),
     r'annotations\[0\] \(id=1\) has no "segmentation"'),
    (relabel_second_frame,
     r'gives category \d to an instance that has category \d'),
])
def test_bad_cocovid_ground_truth_names_file_and_entry(synthetic_root,
                                                       tmp_path, change,
                                                       message):
    path = cocovid_with(synthetic_root, tmp_path, change)
    with pytest.raises(VISAnnotationError, match=message) as info:
        load_ground_truth(path)
    assert str(info.value).startswith(path)

"""Accuracy and identity of YouTube-VIS results on an annotation file,
computed by :mod:`mmseqformer.evaluation` (the metrics of ``tools/test.py``
and ``tools/analysis_tools/eval_identity.py``)."""
import contextlib
import io
from typing import Dict, List

import pycocotools.mask as mask_util

from mmseqformer.datasets.ytvis_format import (is_official_layout,
                                               load_json_file)
from mmseqformer.evaluation import (YouTubeVISEvalMetric,
                                    evaluate_identity_files)
from mmseqformer.evaluation.functional import load_ground_truth

#: The AP columns of the mode tables: their names there -> the metric's
#: items.
AP_ITEMS = dict(
    AP='mAP', AP50='mAP_50', AP75='mAP_75', AR1='AR@1', AR10='AR@10')


def youtube_vis_ap(ann_file: str, results: List[dict]) -> Dict[str, float]:
    """AP, AP50, AP75, AR1 and AR10 of YouTube-VIS results entries.

    :class:`~mmseqformer.evaluation.YouTubeVISEvalMetric` (rounded to 3
    decimals, as ``tools/test.py`` reports it; 0 without any prediction)
    on the annotation file as the official evaluation reads it: an
    official-layout file as it is (instances null in every frame count), a
    CocoVID file as tracks.

    Args:
        ann_file (str): Official or CocoVID layout.
        results (list[dict]): ``{video_id, category_id, score,
            segmentations}`` entries with the file's category ids.
    """
    content = load_json_file(ann_file)
    if not is_official_layout(content):
        content = load_ground_truth(ann_file)
        for ann in content['annotations']:
            ann['areas'] = [
                None if segm is None else float(mask_util.area(segm))
                for segm in ann['segmentations']
            ]
    # The metric numbers the classes 1..K (label + 1, in the order of
    # dataset_meta['classes']): the file's category ids become their rank.
    cat_ids = sorted(category['id'] for category in content['categories'])
    rank = {cat_id: index + 1 for index, cat_id in enumerate(cat_ids)}
    metric = YouTubeVISEvalMetric(metric_items=list(AP_ITEMS.values()))
    metric.dataset_meta = dict(classes=[str(cat_id) for cat_id in cat_ids])
    # The videos the metric would have gathered from the dataset's frames.
    metric._vis_meta_info['videos'] = content['videos']
    predictions = [
        dict(entry, category_id=rank[entry['category_id']])
        for entry in results
    ]
    ground_truth = [
        dict(ann, category_id=rank[ann['category_id']])
        for ann in content['annotations']
    ]
    with contextlib.redirect_stdout(io.StringIO()):  # its progress lines
        values = metric.compute_metrics([(predictions, ground_truth)])
    return {name: values[f'segm_{item}'] for name, item in AP_ITEMS.items()}


def identity_metrics(results_file: str, ann_file: str,
                     score_thr: float) -> Dict[str, float]:
    """HOTA, DetA, AssA, IDF1 and IDSW (all classes pooled), as
    ``eval_identity.py`` computes them."""
    return evaluate_identity_files(
        results_file, ann_file, score_thr=score_thr).summary()

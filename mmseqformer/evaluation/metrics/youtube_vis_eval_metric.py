"""YouTube-VIS AP that runs under numpy 2 and writes real category ids."""
import contextlib
import json
import os.path as osp
import tempfile
import zipfile
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
from mmdet.evaluation import YouTubeVISMetric
from mmdet.registry import METRICS
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger

from mmseqformer.datasets.ytvis_format import (is_official_layout,
                                               load_json_file)
from mmseqformer.utils import atomic_output_files

#: The columns of the SeqFormer paper's tables.
PAPER_METRIC_ITEMS = ('mAP', 'mAP_50', 'mAP_75', 'AR@1', 'AR@10')
#: Ids of the all-null ground-truth instances (above any instance id).
NULL_INSTANCE_ID_BASE = 1 << 30


@contextlib.contextmanager
def numpy_float_alias() -> Iterator[None]:
    """Provide ``np.float`` (removed in numpy 1.24) for the block.

    mmdet's ``ytviseval.accumulate`` still calls ``astype(np.float)``. The
    alias exists only while mmdet's evaluator runs, so the rest of the
    program keeps numpy's own behaviour.
    """
    added = not hasattr(np, 'float')
    if added:
        np.float = float
    try:
        yield
    finally:
        if added:
            del np.float


def null_instances_by_video(
        content: dict,
        cat_ids: Optional[Sequence[int]] = None) -> Dict[int, List[dict]]:
    """The instances of an official-layout file that are null in every
    frame, as ground-truth entries of mmdet's YouTube-VIS metric.

    Args:
        content (dict): A parsed YouTube-VIS/OVIS file (a CocoVID file has
            no such instances: they have no frame annotation to hold them).
        cat_ids (Sequence[int], optional): The file's category id of each
            label (``dataset_meta['cat_ids']``); instances of other
            categories are left out, as the dataset leaves them out. None:
            category ids are already ``label + 1``.

    Returns:
        dict[int, list[dict]]: ``{id, video_id, category_id, iscrowd}`` per
        instance, by video id.
    """
    by_video = defaultdict(list)
    if not is_official_layout(content):
        return by_video
    for index, ann in enumerate(content.get('annotations') or []):
        if any(segm is not None for segm in ann.get('segmentations') or []):
            continue
        category_id = ann['category_id']
        if cat_ids is not None:
            if category_id not in cat_ids:
                continue
            category_id = list(cat_ids).index(category_id) + 1
        by_video[ann['video_id']].append(
            dict(
                id=NULL_INSTANCE_ID_BASE + index,
                video_id=ann['video_id'],
                category_id=category_id,
                iscrowd=int(ann.get('iscrowd', 0))))
    return by_video


@METRICS.register_module()
class YouTubeVISEvalMetric(YouTubeVISMetric):
    """mmdet's ``YouTubeVISMetric``, fixed for real use.

    Differences from the parent, each for a failure seen with it:

    * AP works under numpy >= 1.24 (see :func:`numpy_float_alias`).
    * By default it reports the paper's columns AP, AP50, AP75, AR1, AR10
      (``metric_items`` still selects any of mmdet's twelve).
    * The submission file carries the annotation file's own category ids
      (``dataset_meta['cat_ids']``, set by
      :class:`~mmseqformer.datasets.YouTubeVISFormatDataset`); mmdet writes
      ``label + 1``, which is wrong whenever ids are not 1..K in order.
    * ``{outfile_prefix}.json`` and ``{outfile_prefix}.submission_file.zip``
      (holding ``results.json``) change together, atomically.
    * A ground-truth instance whose segmentation is null in every frame
      counts, as in the official evaluator (mmdet's drops it: it has no
      frame annotation). Such instances are read from the annotation file
      (``dataset_meta['ann_file']``, set by the dataset).
    * Evaluating with no prediction at all gives 0 instead of a crash.
    * It can evaluate more than once (mmdet's leaves its video records as a
      plain dict after the first evaluation, so the second validation of a
      training run crashes with ``KeyError: 'images'``).

    Args:
        metric_items (Sequence[str], optional): Metrics to report. Defaults
            to :data:`PAPER_METRIC_ITEMS`.
        **kwargs: As :class:`mmdet.evaluation.YouTubeVISMetric`.
    """

    def __init__(self,
                 metric_items: Optional[Sequence[str]] = PAPER_METRIC_ITEMS,
                 **kwargs) -> None:
        super().__init__(
            metric_items=list(metric_items or PAPER_METRIC_ITEMS), **kwargs)

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Record a batch; refuse, before any work, to evaluate a split
        without ground truth (``dataset_meta['has_ground_truth']`` False).

        Args:
            data_batch (dict): The batch.
            data_samples (Sequence): Its predictions and ground truth.
        """
        meta = self.dataset_meta or {}
        if not self.format_only and meta.get('has_ground_truth') is False:
            raise ValueError(
                f'{meta.get("ann_file", "the annotation file")} has no ground '
                'truth ("annotations" is null, absent or empty): it cannot be '
                'evaluated, only formatted for the server (format_only=True, '
                'tools/test.py --format-only)')
        super().process(data_batch, data_samples)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Format the results, or compute AP with the numpy fix.

        Args:
            results (list): ``(pred_results, gt_results)`` per video.

        Returns:
            dict[str, float]: ``segm_<item>`` for each metric item; empty
            when ``format_only``.
        """
        if not self.format_only and not any(preds for preds, _ in results):
            MMLogger.get_current_instance().warning(
                'YouTube-VIS evaluation got no prediction: all metrics are 0')
            return {f'segm_{item}': 0.0 for item in self.metric_items}
        with numpy_float_alias():
            return super().compute_metrics(results)

    def evaluate(self, size: int) -> dict:
        """Evaluate, then reset the video records for the next evaluation.

        Args:
            size (int): Length of the whole dataset.

        Returns:
            dict: The metrics.
        """
        try:
            return super().evaluate(size)
        finally:
            self._vis_meta_info = defaultdict(list)

    def to_dataset_category_ids(self, pred_results: List[dict]) -> List[dict]:
        """Replace mmdet's ``label + 1`` by the file's category id.

        Args:
            pred_results (list[dict]): Entries with ``category_id`` equal to
                ``label + 1``.

        Returns:
            list[dict]: New entries with the dataset's category ids.
        """
        cat_ids = (self.dataset_meta or {}).get('cat_ids')
        if cat_ids is None:
            return pred_results
        return [
            dict(result, category_id=int(cat_ids[result['category_id'] - 1]))
            for result in pred_results
        ]

    def _format_one_video_gts(self, gt_dicts) -> List[dict]:
        """mmdet's ground truth of one video, plus its all-null instances.

        An instance whose segmentation is null in every frame has no frame
        annotation, so mmdet's conversion never sees it; the official
        evaluator counts it (average area 0, ignored only if ``iscrowd``):
        a ground truth that no prediction can match.

        Args:
            gt_dicts (tuple[dict]): One dict per frame (mmdet's format).

        Returns:
            list[dict]: The video's instances in the official format.
        """
        instances = super()._format_one_video_gts(gt_dicts)
        if not gt_dicts:
            return instances
        num_frames = len(gt_dicts)
        for null in self._null_instances().get(gt_dicts[0]['video_id'], []):
            instances.append(
                dict(
                    null,
                    segmentations=[None] * num_frames,
                    bboxes=[None] * num_frames,
                    areas=[None] * num_frames))
        return instances

    def _null_instances(self) -> Dict[int, List[dict]]:
        """The all-null instances of ``dataset_meta['ann_file']`` by video
        id, with the metric's category ids (label + 1) and ids that no
        frame annotation uses. Read once per annotation file."""
        meta = self.dataset_meta or {}
        ann_file = meta.get('ann_file')
        if not ann_file:
            return {}
        if getattr(self, '_null_source', None) != ann_file:
            with get_local_path(ann_file) as local_path:
                content = load_json_file(local_path)
            self._null_by_video = null_instances_by_video(
                content, meta.get('cat_ids'))
            self._null_source = ann_file
        return self._null_by_video

    def save_pred_results(self, pred_results: List[dict]) -> None:
        """Write ``{prefix}.json`` and ``{prefix}.submission_file.zip``.

        Each entry is ``{video_id, score, category_id, segmentations}`` with
        one RLE (sized to the original frame) or ``None`` per frame. The two
        files change together (:func:`~mmseqformer.utils.atomic_output_files`:
        a kill at any moment leaves the old pair or the new pair; both names
        are links into the hidden ``.{name}.versions`` folder beside them).

        Args:
            pred_results (list[dict]): Predictions in the official format.
        """
        prefix = self.outfile_prefix
        if prefix is None:
            prefix = osp.join(tempfile.mkdtemp(), 'results')
        results = self.to_dataset_category_ids(pred_results)
        json_path = f'{prefix}.json'
        zip_path = f'{prefix}.submission_file.zip'
        with atomic_output_files([json_path, zip_path]) as (tmp_json, tmp_zip):
            with open(tmp_json, 'w', encoding='utf-8') as f:
                json.dump(results, f)
            with zipfile.ZipFile(tmp_zip, 'w', zipfile.ZIP_DEFLATED) as zf:
                zf.write(tmp_json, 'results.json')
        MMLogger.get_current_instance().info(
            f'wrote {len(results)} predictions to {json_path} and the '
            f'submission file {zip_path} (upload it to the evaluation server)')

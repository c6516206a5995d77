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
from mmengine.logging import MMLogger

from mmseqformer.utils import atomic_output_path

#: The columns of the SeqFormer paper's tables.
PAPER_METRIC_ITEMS = ('mAP', 'mAP_50', 'mAP_75', 'AR@1', 'AR@10')


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
      (holding ``results.json``) are written atomically.
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

    def save_pred_results(self, pred_results: List[dict]) -> None:
        """Write ``{prefix}.json`` and ``{prefix}.submission_file.zip``.

        Each entry is ``{video_id, score, category_id, segmentations}`` with
        one RLE (sized to the original frame) or ``None`` per frame.

        Args:
            pred_results (list[dict]): Predictions in the official format.
        """
        prefix = self.outfile_prefix
        if prefix is None:
            prefix = osp.join(tempfile.mkdtemp(), 'results')
        results = self.to_dataset_category_ids(pred_results)
        json_path = f'{prefix}.json'
        zip_path = f'{prefix}.submission_file.zip'
        with atomic_output_path(json_path) as tmp_path:
            with open(tmp_path, 'w', encoding='utf-8') as f:
                json.dump(results, f)
        with atomic_output_path(zip_path) as tmp_path:
            with zipfile.ZipFile(tmp_path, 'w', zipfile.ZIP_DEFLATED) as zf:
                zf.write(json_path, 'results.json')
        MMLogger.get_current_instance().info(
            f'wrote {len(results)} predictions to {json_path} and the '
            f'submission file {zip_path} (upload it to the evaluation server)')

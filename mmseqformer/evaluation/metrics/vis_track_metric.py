"""Identity metrics (HOTA, DetA, AssA, IDF1, ID switches) for VIS."""
from typing import Dict, List, Optional, Sequence

from mmdet.registry import METRICS
from mmengine.logging import MMLogger

from ..functional import (DEFAULT_SCORE_THR, DET_AVERAGED,
                          IDENTITY_METRIC_ITEMS, evaluate_identity,
                          import_trackeval_runner)
from .youtube_vis_eval_metric import YouTubeVISEvalMetric

#: Fields that ``metric_items`` may name besides the defaults.
ALLOWED_METRIC_ITEMS = ('HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe',
                        'AssPr', 'LocA', 'MOTA', 'MOTP', 'IDSW', 'Frag', 'MT',
                        'ML', 'IDF1', 'IDR', 'IDP')


@METRICS.register_module()
class VISTrackMetric(YouTubeVISEvalMetric):
    """Identity metrics of video instance segmentation, by TrackEval.

    It gathers predictions and ground truth exactly as
    :class:`YouTubeVISEvalMetric` (the same per-video YouTube-VIS results,
    category ids and all-null instances), then scores the tracks with
    TrackEval's YouTube-VIS evaluation (HOTA, CLEAR, Identity; IoU 0.5 for
    IDF1 and ID switches) after keeping the hard decisions: tracks scoring at
    least ``score_thr``, one class per track. Classes are evaluated
    separately (a track of the wrong class matches nothing) and the reported
    numbers pool the detections of all classes (TrackEval's
    ``cls_comb_det_av``). See docs/user_guides/identity_metrics.md.

    ``tools/analysis_tools/eval_identity.py`` computes the same numbers from
    files, through the same function
    (:func:`~mmseqformer.evaluation.functional.evaluate_identity`).

    Args:
        score_thr (float): Lowest score of a predicted track that counts.
        one_class_per_track (bool): Count a mask sequence listed with several
            classes (the same query) once, with its best class.
        metric_items (Sequence[str]): TrackEval fields to report, from
            :data:`ALLOWED_METRIC_ITEMS`. Defaults to HOTA, DetA, AssA, IDF1,
            IDSW. Values are fractions (IDSW and counts are integers).
        outfile_prefix (str, optional): If given, the predictions are also
            written as ``{prefix}.json`` and the submission zip (as
            :class:`YouTubeVISEvalMetric` writes them), for
            ``eval_identity.py``.
        **kwargs: ``format_only``, ``collect_device``, ``prefix``: as
            :class:`YouTubeVISEvalMetric`.
    """

    def __init__(self,
                 score_thr: float = DEFAULT_SCORE_THR,
                 one_class_per_track: bool = True,
                 metric_items: Sequence[str] = IDENTITY_METRIC_ITEMS,
                 outfile_prefix: Optional[str] = None,
                 **kwargs) -> None:
        # Fail at build time, not after a whole test run.
        import_trackeval_runner()
        super().__init__(outfile_prefix=outfile_prefix, **kwargs)
        unknown = [i for i in metric_items if i not in ALLOWED_METRIC_ITEMS]
        if unknown or not metric_items:
            raise KeyError(f'VISTrackMetric: unknown metric_items {unknown}; '
                           f'choose from {list(ALLOWED_METRIC_ITEMS)}')
        self.metric_items = list(metric_items)
        self.score_thr = score_thr
        self.one_class_per_track = one_class_per_track

    def _format_one_video_gts(self, gt_dicts) -> List[dict]:
        """The parent's ground truth of one video, and the video's length
        (a video without ground-truth tracks still has frames)."""
        instances = super()._format_one_video_gts(gt_dicts)
        if gt_dicts:
            self._vis_meta_info['videos'][-1]['length'] = len(gt_dicts)
        return instances

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Score the gathered videos (or only write them: ``format_only``).

        Args:
            results (list): ``(pred_results, gt_results)`` per video.

        Returns:
            dict[str, float]: One entry per metric item.
        """
        if self.format_only:
            return super().compute_metrics(results)
        if not results:
            raise ValueError('VISTrackMetric got no video to evaluate')
        pred_videos, gt_videos = zip(*results)
        gt = self.format_gts(gt_videos)
        predictions = self.format_preds(pred_videos)
        if self.outfile_prefix is not None:
            self.save_pred_results(predictions)
        evaluation = evaluate_identity(
            gt,
            predictions,
            score_thr=self.score_thr,
            one_class_per_track=self.one_class_per_track)
        MMLogger.get_current_instance().info(
            f'identity metrics: {evaluation.num_decided} of '
            f'{evaluation.num_predicted} predicted tracks kept (score >= '
            f'{self.score_thr}'
            f'{", one class per track" if self.one_class_per_track else ""})')
        summary = evaluation.summary(DET_AVERAGED)
        return {item: summary[item] for item in self.metric_items}

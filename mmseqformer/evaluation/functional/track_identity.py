"""HOTA, DetA, AssA, IDF1 and ID switches of YouTube-VIS tracks.

The one computation behind :class:`~mmseqformer.evaluation.VISTrackMetric`
and ``tools/analysis_tools/eval_identity.py``: check both sides, keep the
hard decisions (score threshold, one class per track), run TrackEval's
YouTube-VIS evaluation. docs/user_guides/identity_metrics.md explains the
choices.
"""
import importlib
from dataclasses import dataclass, field
from typing import Dict, List

from .identity_inputs import (DEFAULT_SCORE_THR, check_ground_truth,
                              check_results, load_ground_truth, load_results,
                              select_hard_decisions)

#: The metrics reported by default.
IDENTITY_METRIC_ITEMS = ('HOTA', 'DetA', 'AssA', 'IDF1', 'IDSW')
#: The TrackEval release these numbers were checked with.
TRACKEVAL_REQUIREMENT = 'trackeval==1.3.0'
#: TrackEval's class combinations: detections of all classes pooled (our
#: headline, see docs/user_guides/identity_metrics.md) and the mean over
#: classes.
DET_AVERAGED = 'cls_comb_det_av'
CLASS_AVERAGED = 'cls_comb_cls_av'
#: TrackEval's key of the results over all videos.
ALL_VIDEOS = 'COMBINED_SEQ'


def import_trackeval_runner():
    """Import the TrackEval glue, or explain how to install TrackEval.

    Returns:
        module: :mod:`mmseqformer.evaluation.functional.
        trackeval_youtube_vis`.
    """
    try:
        return importlib.import_module(
            'mmseqformer.evaluation.functional.trackeval_youtube_vis')
    except ModuleNotFoundError as err:
        if err.name != 'trackeval':
            raise
        raise ImportError(
            'identity metrics (HOTA, IDF1, ID switches) need TrackEval: '
            f'pip install --no-deps {TRACKEVAL_REQUIREMENT} tabulate '
            '(--no-deps: it requires opencv-python, which would install a '
            'second cv2 over our opencv-python-headless; see '
            'docs/user_guides/identity_metrics.md)') from None


@dataclass
class IdentityEvaluation:
    """The outcome of :func:`evaluate_identity`.

    Attributes:
        tree (dict): TrackEval's results,
            ``[video name | 'COMBINED_SEQ'][class name | 'cls_comb_det_av'
            | 'cls_comb_cls_av'][metric class][field]``.
        num_predicted (int): Predicted tracks given.
        num_decided (int): Predicted tracks kept as decisions.
        score_thr (float): The score threshold applied.
        class_names (list[str]): The ground truth's classes.
    """
    tree: Dict
    num_predicted: int
    num_decided: int
    score_thr: float
    class_names: List[str] = field(default_factory=list)

    def summary(self,
                class_key: str = DET_AVERAGED,
                video: str = ALL_VIDEOS) -> Dict[str, float]:
        """Every TrackEval field as one number (array fields averaged over
        the IoU thresholds alpha, as TrackEval reports HOTA).

        Args:
            class_key (str): A class name, ``'cls_comb_det_av'`` (all
                classes' detections pooled: the default, see
                docs/user_guides/identity_metrics.md) or
                ``'cls_comb_cls_av'`` (mean over classes).
            video (str): A video name, or ``'COMBINED_SEQ'`` for all.

        Returns:
            dict[str, float]: Field -> value (fractions, not percent).
        """
        return import_trackeval_runner().flat_summary(
            self.tree[video][class_key])


def evaluate_identity(
        gt: dict,
        results: list,
        score_thr: float = DEFAULT_SCORE_THR,
        one_class_per_track: bool = True,
        gt_source: str = 'the ground truth',
        results_source: str = 'the predictions') -> IdentityEvaluation:
    """Identity metrics of predicted tracks against ground-truth tracks.

    Args:
        gt (dict): Ground-truth tracks (see
            :mod:`~mmseqformer.evaluation.functional.identity_inputs`).
        results (list[dict]): YouTube-VIS results entries.
        score_thr (float): Lowest score of a predicted track that counts.
        one_class_per_track (bool): Count a mask sequence listed with
            several classes once, with its highest-scoring class.
        gt_source (str): Name of the ground truth in error messages.
        results_source (str): Name of the results in error messages.

    Returns:
        IdentityEvaluation: TrackEval's results and what was kept.
    """
    runner = import_trackeval_runner()
    gt = check_ground_truth(gt, gt_source)
    checked = check_results(results, gt, results_source)
    decided = select_hard_decisions(checked, score_thr, one_class_per_track)
    return IdentityEvaluation(
        tree=runner.run_trackeval(gt, decided),
        num_predicted=len(checked),
        num_decided=len(decided),
        score_thr=score_thr,
        class_names=[category['name'] for category in gt['categories']])


def evaluate_identity_files(
        results_path: str,
        gt_path: str,
        score_thr: float = DEFAULT_SCORE_THR,
        one_class_per_track: bool = True) -> IdentityEvaluation:
    """:func:`evaluate_identity` of a results file against an annotation
    file (errors name the file and the entry).

    Args:
        results_path (str): ``results.json`` or the submission zip.
        gt_path (str): A YouTube-VIS annotation file (official or CocoVID).
        score_thr (float): Lowest score of a predicted track that counts.
        one_class_per_track (bool): See :func:`evaluate_identity`.

    Returns:
        IdentityEvaluation: TrackEval's results and what was kept.
    """
    import_trackeval_runner()  # before reading large files
    return evaluate_identity(
        load_ground_truth(gt_path),
        load_results(results_path),
        score_thr=score_thr,
        one_class_per_track=one_class_per_track,
        gt_source=gt_path,
        results_source=results_path)

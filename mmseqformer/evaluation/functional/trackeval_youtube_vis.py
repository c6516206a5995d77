"""TrackEval's YouTube-VIS evaluation on tracks held in memory.

``trackeval.datasets.YouTubeVIS`` reads one ground-truth and one results
file from a fixed folder layout. :class:`InMemoryYouTubeVIS` keeps all of its
per-video loading, class filtering and id relabelling and replaces only the
constructor, so the numbers are TrackEval's own (checked against its
``scripts/run_youtube_vis.py`` in tests/test_evaluation/
test_vis_track_metric.py) without writing files.

Importing this module imports TrackEval; :func:`import_trackeval` gives a
clear message when it is missing.
"""
import contextlib
import io
from typing import Dict, List

import numpy as np
import pycocotools.mask as mask_utils

with contextlib.redirect_stdout(io.StringIO()):
    # TrackEval prints a note at import when the optional `tabulate` of its
    # BURST dataset is missing; we do not use BURST.
    import trackeval

#: The one "tracker" of an evaluation: the results being scored.
TRACKER = 'results'
#: TrackEval's metric classes of the identity metrics, with the settings of
#: its YouTube-VIS script (IoU threshold 0.5 for CLEAR and Identity).
METRIC_CLASSES = ('HOTA', 'CLEAR', 'Identity')


class InMemoryYouTubeVIS(trackeval.datasets.YouTubeVIS):
    """TrackEval's YouTube-VIS dataset built from checked tracks.

    Args:
        gt (dict): Ground truth from
            :func:`~mmseqformer.evaluation.functional.identity_inputs.
            check_ground_truth` (compressed RLE masks).
        results (list[dict]): Predicted tracks from ``check_results``.
    """

    def __init__(self, gt: dict, results: List[dict]) -> None:
        trackeval.datasets._base_dataset._BaseDataset.__init__(self)
        self.config = dict(PRINT_CONFIG=False)
        self.use_super_categories = False
        self.should_classes_combine = True
        self.output_fol = self.output_sub_fol = self.tracker_sub_fol = ''

        # TrackEval keys classes by name and sequences by video name.
        self.valid_classes = [c['name'] for c in gt['categories']]
        self.class_list = list(self.valid_classes)
        self.class_name_to_class_id = {
            c['name']: c['id']
            for c in gt['categories']
        }
        self.seq_list = [video['name'] for video in gt['videos']]
        self.seq_name_to_seq_id = {
            video['name']: video['id']
            for video in gt['videos']
        }
        self.seq_lengths = {
            video['id']: video['length']
            for video in gt['videos']
        }
        # Copies: TrackEval's loader adds keys (area, id) to track dicts.
        self.gt_data = dict(
            categories=gt['categories'],
            videos=gt['videos'],
            annotations=[
                dict(track, area=_mean_area(track['segmentations']))
                for track in gt['annotations']
            ])
        self.tracker_list = [TRACKER]
        self.tracker_to_disp = {TRACKER: TRACKER}
        self.global_tid_counter = 0
        self.tracker_data = {TRACKER: [dict(entry) for entry in results]}


def _mean_area(segmentations: list) -> float:
    """Mean mask area over the frames holding the track, 0 if none (what
    TrackEval's loader computes from the file's ``areas``; only its
    TrackMAP, which we do not run, reads it)."""
    areas = [mask_utils.area(rle) for rle in segmentations if rle]
    areas = [area for area in areas if area]
    return float(np.mean(areas)) if areas else 0.0


def run_trackeval(gt: dict, results: List[dict]) -> Dict:
    """Run TrackEval's evaluator as its YouTube-VIS script does, without
    files or printing.

    Args:
        gt (dict): Checked ground truth.
        results (list[dict]): Checked predicted tracks (already decided).

    Returns:
        dict: TrackEval's result tree
        ``[video name | 'COMBINED_SEQ'][class name | 'cls_comb_det_av' |
        'cls_comb_cls_av'][metric class name][field]`` (the combined class
        keys exist under ``'COMBINED_SEQ'`` only).
    """
    config = trackeval.Evaluator.get_default_eval_config()
    config.update(
        USE_PARALLEL=False,
        BREAK_ON_ERROR=True,
        LOG_ON_ERROR=None,
        PRINT_RESULTS=False,
        PRINT_CONFIG=False,
        TIME_PROGRESS=False,
        OUTPUT_SUMMARY=False,
        OUTPUT_DETAILED=False,
        PLOT_CURVES=False)
    metrics = [
        getattr(trackeval.metrics, name)(dict(PRINT_CONFIG=False))
        for name in METRIC_CLASSES
    ]
    dataset = InMemoryYouTubeVIS(gt, results)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        evaluator = trackeval.Evaluator(config)
        output, messages = evaluator.evaluate([dataset], metrics)
    name = dataset.get_name()
    if messages[name][TRACKER] != 'Success':
        raise RuntimeError(f'TrackEval failed: {messages[name][TRACKER]}\n'
                           f'{printed.getvalue()[-2000:]}')
    return output[name][TRACKER]


def flat_summary(result: Dict) -> Dict[str, float]:
    """One number per TrackEval field of one class key's result.

    Args:
        result (dict): ``tree[video][class]`` of :func:`run_trackeval`:
            ``{metric class name: {field: value}}``.

    Returns:
        dict[str, float]: Array fields (HOTA, DetA, AssA, ... over the 19
        IoU thresholds alpha) averaged over alpha, as TrackEval reports
        them; integer fields (IDSW, ...) as ``int``.
    """
    summary = {}
    for fields in result.values():
        for field, value in fields.items():
            if np.ndim(value) == 1:
                summary[field] = float(np.mean(value))
            elif isinstance(value, (int, np.integer)):
                summary[field] = int(value)
            else:
                summary[field] = float(value)
    return summary

"""Print HOTA, DetA, AssA, IDF1 and ID switches of YouTube-VIS results.

    python tools/analysis_tools/eval_identity.py RESULTS_JSON GT_JSON \
        [--score-thr 0.3] [--keep-duplicate-classes]

RESULTS_JSON is a YouTube-VIS results file (``results.json`` or the
submission zip that ``tools/test.py --format-only`` writes); GT_JSON is a
YouTube-VIS annotation file (official or CocoVID layout). Predicted tracks
scoring below ``--score-thr`` are dropped and a mask sequence listed with
several classes counts once, with its best class; classes are evaluated
separately (TrackEval's YouTube-VIS evaluation) and the first row pools the
detections of all classes. Values are in percent, as TrackEval prints them.
The computation is the one of ``VISTrackMetric``;
docs/user_guides/identity_metrics.md explains the choices. With
``--score-thr 0 --keep-duplicate-classes`` the numbers are those of
TrackEval's own ``scripts/run_youtube_vis.py`` on the same files, when they
hold no empty mask (an empty mask is no detection here, and an unmatched
one for TrackEval's script).
"""
import argparse
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.evaluation.functional import (CLASS_AVERAGED,
                                               DEFAULT_SCORE_THR,
                                               IDENTITY_METRIC_ITEMS,
                                               evaluate_identity_files)
from mmseqformer.utils import report_user_errors

#: Detections and tracks, predicted and true, after the metrics.
EXTRA_COLUMNS = ('Dets', 'GT_Dets', 'IDs', 'GT_IDs')
#: Integer columns, printed as they are (the others in percent).
COUNT_ITEMS = ('IDSW', ) + EXTRA_COLUMNS


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', help='results.json or submission zip')
    parser.add_argument('gt', help='YouTube-VIS annotation file')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=DEFAULT_SCORE_THR,
        help='lowest score of a predicted track that counts')
    parser.add_argument(
        '--keep-duplicate-classes',
        action='store_true',
        help='count a mask sequence listed with several classes once per '
        'class (TrackEval script behaviour) instead of once')
    return parser.parse_args(argv)


def format_row(name: str, summary: dict) -> str:
    cells = [
        f'{summary[item]:>9d}'
        if item in COUNT_ITEMS else f'{100 * summary[item]:>9.3f}'
        for item in IDENTITY_METRIC_ITEMS + EXTRA_COLUMNS
    ]
    return f'{name:<24}' + ''.join(cells)


# ImportError: the optional package the metrics need is not installed.
@report_user_errors(ImportError)
def main(argv=None) -> None:
    args = parse_args(argv)
    evaluation = evaluate_identity_files(
        args.results,
        args.gt,
        score_thr=args.score_thr,
        one_class_per_track=not args.keep_duplicate_classes)
    classes = 'every class listed' if args.keep_duplicate_classes else \
        'one class per track'
    print(f'{evaluation.num_decided} of {evaluation.num_predicted} predicted '
          f'tracks kept (score >= {args.score_thr}, {classes})')
    columns = IDENTITY_METRIC_ITEMS + EXTRA_COLUMNS
    print(' ' * 24 + ''.join(f'{item:>9}' for item in columns))
    print(format_row('all classes (pooled)', evaluation.summary()))
    print(format_row('class mean', evaluation.summary(CLASS_AVERAGED)))
    for name in evaluation.class_names:
        print(format_row(f'  {name}', evaluation.summary(name)))


if __name__ == '__main__':
    main()

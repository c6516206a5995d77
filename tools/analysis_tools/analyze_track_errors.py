"""Break down where predicted tracks lose against the ground truth.

    python tools/analysis_tools/analyze_track_errors.py GT_JSON \
        RESULTS_JSON [RESULTS_JSON ...] [--score-thr 0.3] [--iou-thr 0.5] \
        [--min-gap 10] [--objects GROUP]

GT_JSON is a YouTube-VIS annotation file (official or CocoVID layout); each
RESULTS_JSON a results file (``results.json`` or a submission zip), e.g.
the per-mode files that ``benchmark.py modes`` writes to its work dir. One
markdown row per results file (named by its file name): per-frame
detection (recall, precision of the shown masks), linking (fragments per
object, ID switches, best single track's video IoU against perfect
linking's), objects covered (video IoU >= --iou-thr) by one track and if
linked perfectly, missed objects (and those only a track below
--score-thr covers), wrong classes, and returns after an absence of at
least --min-gap frames with how many keep their track and how many go to
a track that followed another object before. ``--objects``
counts one group of objects: those present in every frame of their video
(``always-present``), those that enter, leave or come back
(``partly-present``), those whose box centre moves at least a tenth of the
frame between two consecutive frames (``fast-moving``) or the others
(``slow-moving``), or those in several groups (``partly-present+fast-moving``);
all objects are still matched.
``mmseqformer.evaluation.functional.track_errors`` defines each column.
"""
import argparse
import os.path as osp
import sys

# Run from a source checkout without installing.
sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseqformer.benchmark.markdown import markdown_table, number_cell
from mmseqformer.evaluation.functional import (DEFAULT_SCORE_THR,
                                               OBJECT_GROUPS,
                                               load_ground_truth, load_results,
                                               object_group, track_errors)
from mmseqformer.utils import report_user_errors

#: Column titles -> summary keys (fractions first, then counts).
COLUMNS = {
    'frame recall': 'frame_recall',
    'frame precision': 'frame_precision',
    'fragments': 'fragments',
    'IDSW': 'id_switches',
    'best track IoU': 'best_track_iou',
    'linked IoU': 'linked_iou',
    'covered': 'covered',
    'covered if linked': 'covered_if_linked',
    'missed': 'missed',
    'below thr': 'below_thr',
    'wrong class': 'wrong_class',
    'returns kept / matched / all': None,
    "returns to another's track": 'returns_to_other_track',
}


def checked_group(name: str) -> str:
    """``--objects``: a group name or several joined by ``+``."""
    try:
        object_group(name)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('gt', help='YouTube-VIS annotation file')
    parser.add_argument(
        'results', nargs='+', help='results.json or submission zip files')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=DEFAULT_SCORE_THR,
        help='lowest score of a shown track')
    parser.add_argument(
        '--iou-thr',
        type=float,
        default=0.5,
        help='lowest mask IoU of a match, per frame and per video')
    parser.add_argument(
        '--min-gap',
        type=int,
        default=10,
        help='shortest absence (frames) counted as a return')
    parser.add_argument(
        '--objects',
        type=checked_group,
        default='all',
        help='the objects counted: all, those present in every frame of '
        'their video, those that enter, leave or come back, those that move '
        "at least a tenth of the frame between two frames, or the others: "
        f"{', '.join(OBJECT_GROUPS)}, or several joined by '+' (the "
        "objects in all of them)")
    return parser.parse_args(argv)


def table_row(name: str, summary: dict) -> list:
    """The cells of one results file."""
    cells = [name]
    for key in COLUMNS.values():
        if key is None:
            cells.append(f'{summary["returns_reidentified"]} / '
                         f'{summary["returns_matched"]} / '
                         f'{summary["returns"]}')
        elif isinstance(summary[key], float):
            cells.append(number_cell(summary[key]))
        else:
            cells.append(str(summary[key]))
    return cells


@report_user_errors()
def main(argv=None) -> None:
    args = parse_args(argv)
    gt = load_ground_truth(args.gt)
    rows = []
    for path in args.results:
        summary = track_errors(
            gt,
            load_results(path),
            score_thr=args.score_thr,
            iou_thr=args.iou_thr,
            min_gap=args.min_gap,
            gt_source=args.gt,
            results_source=path,
            objects=args.objects).summary()
        rows.append(table_row(osp.basename(path), summary))
    group = '' if args.objects == 'all' else f' ({args.objects})'
    print(f'{args.gt}: {summary["objects"]} objects{group}; shown tracks '
          f'score >= {args.score_thr}, matches at mask IoU >= {args.iou_thr}, '
          f'returns after >= {args.min_gap} absent frames')
    print(markdown_table(['results'] + list(COLUMNS), rows))


if __name__ == '__main__':
    main()

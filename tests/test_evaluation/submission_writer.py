"""Write a submission pair with the metric, for the kill tests.

    python -m tests.test_evaluation.submission_writer PREFIX TAG [HANG_AT]

Writes ``PREFIX.json`` and ``PREFIX.submission_file.zip`` through
:meth:`YouTubeVISEvalMetric.save_pred_results`, with 200 predictions whose
``video_id`` is ``TAG``. With ``HANG_AT`` it prints ``READY`` at that moment
and sleeps until killed:

* ``json``: half of the new ``results.json`` is written;
* ``zip``: the new json is written, the zip is being written;
* ``switch``: both new files are complete, the switch is next;
* ``cleanup``: the switch is done, the old version not yet removed;
* ``adopt``: (old files are plain files) ``results.json`` is already a link
  to the old content, the zip is not yet.
"""
import json
import os
import shutil
import sys
import time
import zipfile

from mmseqformer.evaluation import YouTubeVISEvalMetric


def hang(reason: str) -> None:
    print('READY', reason, flush=True)
    while True:
        time.sleep(60)


def instrument(hang_at: str) -> None:
    """Make the step named ``hang_at`` hang at its critical moment."""
    if hang_at == 'json':

        def half_dump(obj, f, **kwargs):
            text = json.dumps(obj, **kwargs)
            f.write(text[:len(text) // 2])
            f.flush()
            hang(hang_at)

        json.dump = half_dump
    elif hang_at == 'zip':
        zipfile.ZipFile.write = lambda *args, **kwargs: hang(hang_at)
    elif hang_at in ('switch', 'adopt'):
        replace = os.replace
        last = 'current' if hang_at == 'switch' else '.submission_file.zip'

        def slow_replace(src, dst):
            if str(dst).endswith(last):
                hang(hang_at)
            replace(src, dst)

        os.replace = slow_replace
    elif hang_at == 'cleanup':
        shutil.rmtree = lambda *args, **kwargs: hang(hang_at)


def write_pair(prefix: str, tag: int) -> None:
    """Write the pair of 200 predictions with ``video_id`` ``tag``."""
    metric = YouTubeVISEvalMetric(format_only=True, outfile_prefix=prefix)
    metric.dataset_meta = dict(classes=('shape', ), cat_ids=(7, ))
    metric.save_pred_results([
        dict(
            video_id=tag,
            score=index / 200,
            category_id=1,
            segmentations=[None]) for index in range(200)
    ])


def main() -> None:
    if len(sys.argv) > 3:
        instrument(sys.argv[3])
    write_pair(sys.argv[1], int(sys.argv[2]))


if __name__ == '__main__':
    main()

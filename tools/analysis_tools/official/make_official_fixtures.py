"""Make the golden fixtures of ``tests/test_models/test_official_parity.py``
with the official SeqFormer code.

    python tools/analysis_tools/official/make_official_fixtures.py \\
        --official-root SEQFORMER_CHECKOUT [--official-python PYTHON]

What the fixtures hold and how they were made:
``mmseqformer.benchmark.official_fixtures``. The official code runs in
``--official-python`` (an environment with torchvision and scipy; default:
this one); a re-run rewrites the same numbers.
"""
import argparse
import os.path as osp
import subprocess
import sys

# Run from a source checkout without installing.
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, REPO)

from mmseqformer.benchmark import child_command
from mmseqformer.benchmark.official_code import (add_official_arguments,
                                                 check_official_checkout)
from mmseqformer.utils import report_user_errors


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_official_arguments(parser, required=True)
    parser.add_argument(
        '--out-dir',
        default=osp.join(REPO, 'tests', 'data'),
        help='where official_r50_keys.json and official_tiny/ go')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


@report_user_errors()
def main() -> None:
    args = parse_args()
    check_official_checkout(args.official_root)
    command = child_command(
        args.official_python,
        'mmseqformer.benchmark.official_fixtures:write_official_fixtures',
        dict(
            official_root=args.official_root,
            out_dir=osp.abspath(args.out_dir),
            seed=args.seed),
        standalone=True)
    sys.exit(subprocess.run(command).returncode)


if __name__ == '__main__':
    main()

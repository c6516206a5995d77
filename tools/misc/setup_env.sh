#!/usr/bin/env bash
# Create (or update) a virtualenv with one of the tested OpenMMLab stacks.
#
#   bash tools/misc/setup_env.sh [VENV_DIR]               main stack (.venv)
#   STACK=classic bash tools/misc/setup_env.sh [VENV_DIR]  classic (.venv-classic)
#
# Stacks (exact versions in requirements/stacks/STACK.txt, used as pip
# constraints; docs/get_started.md lists them):
#   main     Python 3.11, torch 2.13.0, mmengine 0.11.0rc3, numpy 2
#   classic  Python 3.10, torch 2.1.2, mmengine 0.10.7, numpy 1.26
# both with mmcv 2.1.0 compiled with its ops and mmdet 3.3.0.
#
# The order matters: mmcv compiles its ops against the torch already in the
# venv, without build isolation (an isolated build silently drops the ops).
# The compile takes about 20 minutes on 2 cores; pip keeps the wheel in its
# cache, so later venvs of the same stack install it in seconds. Set
# MAX_JOBS to use more cores.
set -euo pipefail

STACK=${STACK:-main}
case "$STACK" in
    main) PYTHON_VERSION=3.11; DEFAULT_VENV=.venv ;;
    classic) PYTHON_VERSION=3.10; DEFAULT_VENV=.venv-classic ;;
    *) echo "STACK must be main or classic, got '$STACK'" >&2; exit 1 ;;
esac
VENV=${1:-$DEFAULT_VENV}
CONSTRAINTS=requirements/stacks/$STACK.txt
step() { printf '\n==> %s\n' "$*"; }

# The stack's Python: $PYTHON, else pythonX.Y on PATH, else pyenv's.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" "python$PYTHON_VERSION" \
            $(ls -d "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/"$PYTHON_VERSION".*/bin/python"$PYTHON_VERSION" 2>/dev/null); do
        # Run it: a pyenv shim exists for versions it will not run.
        [ -n "$candidate" ] && "$candidate" -c "import sys; assert \
'%d.%d' % sys.version_info[:2] == '$PYTHON_VERSION'" 2>/dev/null \
            && { echo "$candidate"; return; }
    done
    echo "the $STACK stack needs Python $PYTHON_VERSION (set PYTHON=...)" >&2
    exit 1
}

if [ ! -x "$VENV/bin/python" ]; then
    PYTHON=$(find_python)
    step "Creating $VENV ($STACK stack) with $($PYTHON --version)"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$PYTHON_VERSION'.split('.'))), sys.version" \
    || { echo "the $STACK stack needs Python $PYTHON_VERSION in $VENV (remove it, set PYTHON=...)" >&2; exit 1; }
PIP=("$PY" -m pip --disable-pip-version-check)
PIN=(-c "$CONSTRAINTS")

step "Installing torch, build tools and runtime requirements"
"${PIP[@]}" install --upgrade 'pip>=24'
# opencv comes before mmcv: importing mmcv (and so the check below) needs it.
"${PIP[@]}" install "${PIN[@]}" -r requirements/build.txt \
    -r requirements/runtime.txt mmengine

# Is mmcv 2.1.0 installed with its compiled ops, built for this torch? (The
# extension loads after torch only if it was compiled against it: a stack
# file that changes torch gets mmcv rebuilt.)
mmcv_ok() {
    "$PY" - <<'PY' 2>/dev/null
import glob, importlib.metadata as md, importlib.util, os
assert md.version('mmcv') == '2.1.0'
package = os.path.dirname(importlib.util.find_spec('mmcv').origin)
assert glob.glob(os.path.join(package, '_ext*.so'))
import torch, mmcv._ext
PY
}

# Compile mmcv; print one line per compiled file ("[12/77] roi_align.cpp").
build_mmcv() {
    local log=$1; shift
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "${PIP[@]}" install -v \
        --no-build-isolation "${PIN[@]}" "$@" mmcv 2>&1 | tee "$log" \
        | sed -un -E 's#^ *(\[[0-9]+/[0-9]+\]) .* -c ([^ ]*/)?([^/ ]+) .*#    \1 \3#p;
                     s#^(Successfully installed .*|ERROR.*)#    \1#p'
}

if mmcv_ok; then
    step "mmcv 2.1.0 with ops already installed"
else
    step "Installing mmcv 2.1.0 with its compiled ops" \
         "(a fresh compile takes ~20 min on 2 cores; progress below)"
    log="$VENV/mmcv-build.log"
    build_mmcv "$log" || true
    if ! mmcv_ok; then
        # A wheel without ops may sit in pip's cache: rebuild without it.
        step "mmcv has no compiled ops; rebuilding without pip's cache"
        build_mmcv "$log" --no-cache-dir --force-reinstall --no-deps || true
        mmcv_ok || { tail -40 "$log" >&2; echo "mmcv build failed: $log" >&2; exit 1; }
    fi
fi

step "Installing mmdet and test requirements"
"${PIP[@]}" install "${PIN[@]}" -r requirements/mminstall.txt \
    -r requirements/tests.txt -r requirements/deploy.txt
# Without their own dependencies: trackeval's opencv-python would replace
# the cv2 of opencv-python-headless.
"${PIP[@]}" install "${PIN[@]}" --no-deps -r requirements/optional.txt

# With its dependencies, as a user installs it: everything is in place, so
# this installs mmseqformer alone.
step "Installing mmseqformer (editable)"
"${PIP[@]}" install "${PIN[@]}" --no-build-isolation -e .

step "Checking the stack"
"$PY" -c "import torch, mmcv, mmengine, mmdet, mmseqformer; \
from mmcv.ops import MultiScaleDeformableAttention; \
print('torch', torch.__version__, '| mmengine', mmengine.__version__, \
'| mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, \
'| mmseqformer', mmseqformer.__version__)"

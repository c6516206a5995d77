#!/usr/bin/env bash
# Speed and memory table of SeqFormer on this machine's GPU (see
# benchmark_gpu.py for the options, e.g. --official-root CHECKOUT --out FILE).
#   bash tools/analysis_tools/benchmark_gpu.sh [benchmark_gpu.py options]
# PYTHON selects the interpreter (default: python on PATH).
exec "${PYTHON:-python}" "$(dirname "$0")/benchmark_gpu.py" "$@"

#!/usr/bin/env bash
# Speed and memory table of SeqFormer on this machine's GPU (options: those
# of `benchmark.py gpu`, e.g. --official-root CHECKOUT --out FILE).
#   bash tools/analysis_tools/benchmark_gpu.sh [benchmark.py gpu options]
# PYTHON selects the interpreter (default: python on PATH).
exec "${PYTHON:-python}" "$(dirname "$0")/benchmark.py" gpu "$@"

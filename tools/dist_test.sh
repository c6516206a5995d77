#!/usr/bin/env bash
# Test on GPUS processes of this machine with torchrun (CPU machines use the
# gloo backend automatically).
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on each.
# PYTHON selects the interpreter (default: python on PATH).
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
DIR=$(cd "$(dirname "$0")" && pwd)

PYTHONPATH="$DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$DIR/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"

"""Helpers for tests, benchmarks and checks: tiny models, synthetic clips
and videos, tool runs from a checkout."""
from .markdown_tables import markdown_table_rows
from .synthetic_clips import demo_track_batch
from .synthetic_video import moving_block_video
from .tiny_models import (TINY_CONFIG, noisy_tiny_vis_model, perturb_weights,
                          perturbed_tiny_seqformer)
from .tiny_seqformer import TINY_OVERRIDES, tiny_seqformer_cfg
from .tool_runs import REPO_ROOT, kill_when_ready, run_tool

__all__ = [
    'markdown_table_rows', 'demo_track_batch', 'moving_block_video',
    'TINY_CONFIG', 'noisy_tiny_vis_model', 'perturb_weights',
    'perturbed_tiny_seqformer', 'TINY_OVERRIDES', 'tiny_seqformer_cfg',
    'REPO_ROOT', 'kill_when_ready', 'run_tool'
]

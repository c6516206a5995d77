"""Helpers for tests, benchmarks and checks: tiny models, synthetic clips
and videos, tool runs from a checkout.

The names are imported from their modules on first use, so that the
numpy-only synthetic video (:mod:`.synthetic_video`) also imports in an
environment without the OpenMMLab packages (the official code's, which
the benchmarks feed the same frames).
"""
import importlib

#: Each public name -> the module of this package that defines it.
_EXPORTS = dict(
    markdown_table_rows='markdown_tables',
    demo_track_batch='synthetic_clips',
    MovingBlockVideo='synthetic_video',
    moving_block_video='synthetic_video',
    TINY_CONFIG='tiny_models',
    DEMO_MODEL='tiny_models',
    DEMO_MODEL_CONFIG='tiny_models',
    noisy_tiny_vis_model='tiny_models',
    perturb_weights='tiny_models',
    perturbed_tiny_seqformer='tiny_models',
    TINY_OVERRIDES='tiny_seqformer',
    tiny_seqformer_cfg='tiny_seqformer',
    REPO_ROOT='tool_runs',
    kill_when_ready='tool_runs',
    run_tool='tool_runs')

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    module = importlib.import_module(f'.{_EXPORTS[name]}', __name__)
    return getattr(module, name)

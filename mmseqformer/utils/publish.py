"""Slim a training checkpoint into the weights a user downloads.

A training checkpoint holds the optimiser's and scheduler's state, the
message hub and the config (several times the weights); the published file
keeps what inference needs: ``state_dict`` and ``meta['dataset_meta']``
(the class names and category ids the results are written with). With
``half=True`` every floating-point tensor is stored in float16, half the
size again; the model casts them back to its own dtype when it loads them.
"""
from typing import Dict

from torch import Tensor

from .checkpoint_fit import CheckpointMismatchError, checkpoint_state_dict


def published_checkpoint(checkpoint: dict, half: bool = False) -> dict:
    """The checkpoint to publish.

    Args:
        checkpoint (dict): A checkpoint mmengine wrote (``state_dict``,
            ``meta``, ``optimizer``, ...) or a bare state dict.
        half (bool): Store floating-point tensors in float16.

    Returns:
        dict: ``{'state_dict': ..., 'meta': {'dataset_meta': ...}}`` (no
        ``meta`` when the checkpoint has no dataset metadata).
    """
    state: Dict[str, Tensor] = checkpoint_state_dict(checkpoint)
    if not state or not all(isinstance(v, Tensor) for v in state.values()):
        raise CheckpointMismatchError(
            'the checkpoint holds no state dict of tensors to publish')
    if half:
        state = {
            key: value.half() if value.is_floating_point() else value
            for key, value in state.items()
        }
    state = {key: value.contiguous() for key, value in state.items()}
    published = dict(state_dict=state)
    dataset_meta = checkpoint.get('meta', {}).get('dataset_meta')
    if dataset_meta is not None:
        published['meta'] = dict(dataset_meta=dataset_meta)
    return published

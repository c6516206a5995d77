"""Save and restore every random number generator a training run draws from.

Anything run between training iterations (validation above all) must leave
the training's random stream as it found it: otherwise a run's weights depend
on how often it validates. Validation draws from the global generators even
when it looks deterministic: each ``iter(dataloader)`` takes a base seed from
torch's generator, and a pipeline or metric may call numpy or ``random``.
"""
import contextlib
import random
from typing import Dict, Iterator

import numpy as np
import torch


def get_random_state() -> Dict:
    """The states of Python's, numpy's, torch's CPU and all CUDA generators."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    # Only read CUDA generators that exist: get_rng_state_all() would
    # initialise CUDA in a CPU run.
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: Dict) -> None:
    """Restore what :func:`get_random_state` returned."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state:
        torch.cuda.set_rng_state_all(state['cuda'])


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Run the block, then put every generator back as it was before."""
    state = get_random_state()
    try:
        yield
    finally:
        set_random_state(state)

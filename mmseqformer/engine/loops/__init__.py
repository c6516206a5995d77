from .random_state import (get_random_state, preserved_random_state,
                           set_random_state)
from .random_state_preserving_val_loop import RandomStatePreservingValLoop

__all__ = [
    'RandomStatePreservingValLoop', 'get_random_state', 'set_random_state',
    'preserved_random_state'
]

from .hooks import WallClockBudgetHook
from .loops import RandomStatePreservingValLoop, preserved_random_state
from .runners import StrictAtomicRunner, check_checkpoint_fits_config

__all__ = [
    'WallClockBudgetHook', 'RandomStatePreservingValLoop',
    'preserved_random_state', 'StrictAtomicRunner',
    'check_checkpoint_fits_config'
]

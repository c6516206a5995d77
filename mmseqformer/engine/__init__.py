from .hooks import WallClockBudgetHook
from .loops import RandomStatePreservingValLoop, preserved_random_state
from .optimizers import CPUBFloat16OptimWrapper, amp_optim_wrapper
from .runners import StrictAtomicRunner, check_checkpoint_fits_config

__all__ = [
    'WallClockBudgetHook', 'RandomStatePreservingValLoop',
    'preserved_random_state', 'StrictAtomicRunner',
    'check_checkpoint_fits_config', 'CPUBFloat16OptimWrapper',
    'amp_optim_wrapper'
]

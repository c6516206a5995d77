from .strict_atomic_runner import (StrictAtomicRunner,
                                   check_checkpoint_fits_config)

__all__ = ['StrictAtomicRunner', 'check_checkpoint_fits_config']

"""Validation that leaves the training's random stream untouched."""
from mmdet.registry import LOOPS
from mmengine.runner import ValLoop

from .random_state import preserved_random_state


@LOOPS.register_module()
class RandomStatePreservingValLoop(ValLoop):
    """mmengine's ``ValLoop`` run inside :func:`preserved_random_state`.

    With it, training with validation every N iterations ends with the same
    weights as training without (same seed), so a printed AP does not depend
    on the validation interval. Hooks called by the loop (``before_val`` ...
    ``after_val``) are inside the preserved block too.
    """

    def run(self) -> dict:
        with preserved_random_state():
            return super().run()

"""Stop training after a wall-clock budget (for like-for-like comparisons)."""
import os.path as osp
import time

from mmdet.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class WallClockBudgetHook(Hook):
    """Stop training once ``budget_s`` seconds of training have passed.

    Two models trained "for the same time" on one machine are compared
    fairly only if both stop by the clock, not by iteration count. At the
    stop the hook saves ``{work_dir}/{filename}`` so the model can be tested.

    Args:
        budget_s (float): Training seconds, counted from the first iteration.
        filename (str): Checkpoint written when the budget ends.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 budget_s: float,
                 filename: str = 'budget_end.pth') -> None:
        self.budget_s = budget_s
        self.filename = filename
        self._start = None

    def before_train(self, runner) -> None:
        self._start = time.monotonic()

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if time.monotonic() - self._start < self.budget_s:
            return
        runner.train_loop.stop_training = True
        runner.save_checkpoint(runner.work_dir, self.filename)
        runner.logger.info(
            f'wall-clock budget of {self.budget_s:.0f} s reached after '
            f'{runner.iter + 1} iterations; saved '
            f'{osp.join(runner.work_dir, self.filename)}')

from .wall_clock_budget_hook import WallClockBudgetHook

__all__ = ['WallClockBudgetHook']

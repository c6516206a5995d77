from .hooks import WallClockBudgetHook

__all__ = ['WallClockBudgetHook']

from .cpu_bf16_optim_wrapper import CPUBFloat16OptimWrapper, amp_optim_wrapper

__all__ = ['CPUBFloat16OptimWrapper', 'amp_optim_wrapper']

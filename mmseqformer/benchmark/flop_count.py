"""Counting the arithmetic a piece of PyTorch code does.

:class:`ArithmeticCounter` counts the floating-point operations of the
matrix products and convolutions that run while it is active (PyTorch's own
formulas from ``torch.utils.flop_counter``, plus oneDNN's fused linear that
:class:`~mmseqformer.ops.CPUFusedFFN` calls at CPU inference). Elementwise
work is left out: it is memory-bound, and the matrix products are what a
machine's matmul rate (:func:`~mmseqformer.benchmark.timing.matmul_gflops`)
bounds. Total arithmetic over that rate is the time no implementation of
the same model gets under on that machine.

A dispatch mode rather than ``torch.utils.flop_counter.FlopCounterMode``:
that one also tracks modules with autograd hooks, which fail on the
inference path's no-grad tensors.
"""
import inspect
from collections import Counter

import torch
from torch.utils._python_dispatch import TorchDispatchMode

try:  # torch >= 2.2: formulas of the tensors, the output as a keyword
    from torch.utils.flop_counter import flop_registry as FLOP_FORMULAS

    # Named ``out`` in the first releases with the registry, ``out_val``
    # later: read it off the wrapper that takes tensors.
    _OUT_KEYWORD = 'out_val' if 'out_val' in inspect.signature(
        FLOP_FORMULAS[torch.ops.aten.mm],
        follow_wrapped=False).parameters else 'out'

    def formula_flops(packet, args, kwargs, out) -> int:
        """PyTorch's FLOP count of one call of ``packet``."""
        return FLOP_FORMULAS[packet](*args, **kwargs, **{_OUT_KEYWORD: out})

except ImportError:  # torch 2.1: formulas of the shapes, out_shape
    from torch.utils._pytree import tree_map
    from torch.utils.flop_counter import flop_mapping as FLOP_FORMULAS
    from torch.utils.flop_counter import get_shape

    def formula_flops(packet, args, kwargs, out) -> int:
        """PyTorch's FLOP count of one call of ``packet``."""
        args, kwargs, out_shape = tree_map(get_shape, (args, kwargs, out))
        return FLOP_FORMULAS[packet](*args, **kwargs, out_shape=out_shape)


def fused_linear_flops(input, weight, *args, **kwargs) -> int:
    """``torch.ops.mkldnn._linear_pointwise``: (..., K) x (N, K)^T."""
    return 2 * input.numel() * weight.shape[0]


#: The kinds of arithmetic :class:`ArithmeticCounter` counts.
CONVOLUTIONS = 'convolutions'
MATRIX_PRODUCTS = 'matrix products'

#: Profiler operator names (without the namespace) whose self time is
#: arithmetic that :class:`ArithmeticCounter` counts.
ARITHMETIC_OPERATORS = ('mkldnn_convolution', 'cudnn_convolution',
                        'slow_conv2d_forward', '_convolution', 'convolution',
                        'addmm', 'mm', 'bmm', 'baddbmm', 'addbmm',
                        '_linear_pointwise', 'mkldnn_linear')


def is_arithmetic(operator: str) -> bool:
    """Whether a profiler operator (``aten::addmm``, ...) is one of
    :data:`ARITHMETIC_OPERATORS`."""
    return operator.split('::')[-1] in ARITHMETIC_OPERATORS


def arithmetic_kind(operator: str) -> str:
    """:data:`CONVOLUTIONS` or :data:`MATRIX_PRODUCTS` for an operator
    name (``aten.convolution``, ``aten::mkldnn_convolution``,
    ``aten.addmm``, ``mkldnn::_linear_pointwise``, ...)."""
    name = operator.replace('::', '.').split('.')[-1]
    return CONVOLUTIONS if 'conv' in name else MATRIX_PRODUCTS


class ArithmeticCounter(TorchDispatchMode):
    """FLOPs of the matrix products and convolutions run inside it.

    Example::

        with ArithmeticCounter() as counter:
            model(inputs)
        counter.total, counter.by_op  # int, {'aten.addmm': ...}
    """

    def __init__(self) -> None:
        super().__init__()
        self.by_op = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_op.values())

    @property
    def by_kind(self) -> Counter:
        """FLOPs per :func:`arithmetic_kind`."""
        kinds = Counter()
        for op, flops in self.by_op.items():
            kinds[arithmetic_kind(op)] += flops
        return kinds

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        packet = func._overloadpacket
        if packet in FLOP_FORMULAS:
            self.by_op[str(packet)] += formula_flops(packet, args, kwargs, out)
        elif str(packet) == 'mkldnn._linear_pointwise':
            self.by_op[str(packet)] += fused_linear_flops(*args)
        return out

"""mmcv's feed-forward network with oneDNN's fused linears at CPU
inference."""
from typing import Optional

import torch
from torch import Tensor, nn

from .backend import CPU_INFERENCE, execution_backend
from .row_ffn import RowFFN


def _fused_linear_available() -> bool:
    """oneDNN's linear with a fused epilogue (PyTorch's CPU builds)."""
    return torch.backends.mkldnn.is_available() and hasattr(
        torch.ops.mkldnn, '_linear_pointwise')


class CPUFusedFFN(RowFFN):
    """:class:`RowFFN` (mmcv's ``FFN``: same parameters, keys and result
    up to float rounding) whose CPU inference runs the two linears with
    oneDNN, the bias and the ReLU fused into the matrix products.

    ``F.linear`` on the CPU first fills its output with the bias and then
    accumulates the product into it; for the encoder's (rows, 1024) hidden
    layer (20 MB per 360p frame) that extra pass and the ReLU's cost about
    6% of the whole R50 inference on a 2-core CPU (docs/benchmarks.md).
    Training, gradients, other devices and dtypes, traces (ONNX export: the
    oneDNN op has no ONNX form) and FFNs of another shape (not
    Linear-ReLU-Linear with identity) take :class:`RowFFN`'s path.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        layers = list(self.layers)
        self._fusable = (
            _fused_linear_available() and len(layers) == 3
            and isinstance(layers[0], nn.Sequential) and len(layers[0]) == 3
            and isinstance(layers[0][0], nn.Linear)
            and isinstance(layers[0][1], nn.ReLU)
            and isinstance(layers[1], nn.Linear)
            and isinstance(self.gamma2, nn.Identity) and self.add_identity)

    def forward_rows(self,
                     rows: Tensor,
                     identity: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            rows (Tensor): (N, C).
            identity (Tensor, optional): (N, C) added to the output;
                ``rows`` when None (as mmcv's ``FFN``).

        Returns:
            Tensor: (N, C).
        """
        if not (self._fusable and not self.training and execution_backend(rows)
                == CPU_INFERENCE and rows.dtype == torch.float32):
            return super().forward_rows(rows, identity)
        expand, project = self.layers[0][0], self.layers[1]
        hidden = torch.ops.mkldnn._linear_pointwise(rows, expand.weight,
                                                    expand.bias, 'relu', [],
                                                    '')
        out = torch.ops.mkldnn._linear_pointwise(hidden, project.weight,
                                                 project.bias, 'none', [], '')
        return (rows if identity is None else identity) + out

"""mmcv's feed-forward network run on the input's rows."""
from typing import Optional

from mmcv.cnn.bricks.transformer import FFN
from torch import Tensor, nn


class RowFFN(FFN):
    """mmcv's ``FFN`` (same parameters, keys and results, bit for bit) that
    runs on the input flattened to (rows, C).

    On a (B, L, C) input ``nn.Linear`` returns its (B * L, 1024) product as
    a *view*, so the FFN's in-place ReLU writes through a view and autograd
    records it as a ``CopySlices`` of the whole hidden layer: its backward
    copies the (rows, 1024) gradient twice more. That was about 10% of an
    R50 training step on the CPU (docs/benchmarks.md). On 2-D rows the
    product is a plain tensor and the ReLU's backward is one masking pass.
    An ``identity`` that broadcasts and per-sample dropout layers (DropPath)
    take mmcv's path as it is.
    """

    def forward(self, x: Tensor, identity: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            x (Tensor): (..., C) rows.
            identity (Tensor, optional): (..., C) added to the output;
                ``x`` when None (as mmcv's ``FFN``).

        Returns:
            Tensor: (..., C) (``embed_dims`` channels).
        """
        if not self._rows_equivalent(x, identity):
            return super().forward(x, identity)
        rows = x.reshape(-1, x.shape[-1])
        if identity is not None:
            identity = identity.reshape(-1, identity.shape[-1])
        out = self.forward_rows(rows, identity)
        return out.view(*x.shape[:-1], out.shape[-1])

    def _rows_equivalent(self, x: Tensor, identity: Optional[Tensor]) -> bool:
        """Whether the rows give mmcv's result: no broadcast identity, and
        no dropout layer that draws per sample (DropPath) rather than per
        element."""
        return (identity is None or identity.shape == x.shape) and \
            isinstance(self.dropout_layer, (nn.Identity, nn.Dropout))

    def forward_rows(self,
                     rows: Tensor,
                     identity: Optional[Tensor] = None) -> Tensor:
        """mmcv's ``FFN`` on (N, C) rows (``identity`` (N, C) or None):
        (N, ``embed_dims``)."""
        return super().forward(rows, identity)

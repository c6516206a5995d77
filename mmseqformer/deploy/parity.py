"""How far ONNX Runtime is from PyTorch on one video: the export check of
``tools/deployment/export_onnx.py`` and the deploy tests.

Both models run whole-video inference (:class:`OfflineVideoInference`, one
chunk) on the same preprocessed frames; each backend feeds its own outputs
to its next step, as in use.

Shape legend: ``t`` frames, ``Q`` queries, ``K`` classes, ``k`` selected
pairs.
"""
from typing import Dict, List

import numpy as np
import torch

from ..apis.preprocessing import build_vis_test_pipeline, preprocess_frames
from ..models.vis import OfflineVideoInference

#: The largest difference accepted (float32, CPU).
TOLERANCE = 1e-3


@torch.no_grad()
def backend_differences(torch_model, onnx_model,
                        frames: List[np.ndarray]) -> Dict:
    """Largest absolute differences between the two backends on a video.

    Returns:
        dict: ``cls_logits`` (Q, K logits), ``references`` (t, Q, 4 boxes
        input to the last layer), ``mask_probs`` (sigmoid of the stride-4
        mask logits of PyTorch's selected queries), ``scores`` (selected
        pairs' probabilities), each a float; ``same_selection`` (the same
        top pairs: queries and labels, in order) and the two selections
        ``torch_selection`` / ``onnx_selection`` as (query, label) lists.
    """
    pipeline = build_vis_test_pipeline(torch_model.cfg)
    inputs, sample = preprocess_frames(torch_model, pipeline, list(frames), 0,
                                       len(frames))
    runs = []
    for model in (torch_model, onnx_model):
        video = OfflineVideoInference(model, len(frames), chunk_size=None)
        video.push(inputs, sample)
        runs.append((video, video.select()))
    (torch_video, torch_sel), (onnx_video, onnx_sel) = runs
    queries = torch_sel.queries
    probs = [
        video.engine.mask_logits(video.records[0], video.inst_queries,
                                 queries).sigmoid() for video, _ in runs
    ]
    same = torch.equal(torch_sel.queries, onnx_sel.queries) and torch.equal(
        torch_sel.labels, onnx_sel.labels)
    return dict(
        cls_logits=_max_diff(torch_video.cls_scores, onnx_video.cls_scores),
        references=_max_diff(torch_video.records[0].references,
                             onnx_video.records[0].references),
        mask_probs=_max_diff(*probs),
        scores=_max_diff(torch_sel.scores, onnx_sel.scores)
        if same else float('nan'),
        same_selection=same,
        torch_selection=_pairs(torch_sel),
        onnx_selection=_pairs(onnx_sel))


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.shape != b.shape:
        raise ValueError(f'shapes differ: {tuple(a.shape)} and '
                         f'{tuple(b.shape)}')
    return float((a.float() - b.float()).abs().max()) if a.numel() else 0.0


def _pairs(selection) -> List:
    return list(zip(selection.queries.tolist(), selection.labels.tolist()))


def parity_failures(differences: Dict,
                    tolerance: float = TOLERANCE) -> List[str]:
    """What is out of tolerance in :func:`backend_differences`'s result
    (empty when the backends agree)."""
    failures = [
        f'{key} differ by {differences[key]:.3g} (> {tolerance:g})'
        for key in ('cls_logits', 'references', 'mask_probs')
        if not differences[key] <= tolerance
    ]
    if not differences['same_selection']:
        failures.append('different top pairs: PyTorch '
                        f'{differences["torch_selection"]}, ONNX Runtime '
                        f'{differences["onnx_selection"]}')
    elif not differences['scores'] <= tolerance:
        failures.append(f'scores differ by {differences["scores"]:.3g} '
                        f'(> {tolerance:g})')
    return failures

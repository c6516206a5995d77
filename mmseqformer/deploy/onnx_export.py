"""Export a SeqFormer to ONNX as the three steps of its inference engine.

The graphs follow :class:`~mmseqformer.models.vis.SeqFormerEngine`, so
that every inference mode (whole video in chunks, online, window, clips)
runs on them unchanged:

- ``frame_paths.onnx``, per chunk of frames: (t, 3, H, W) normalised
  frames -> ``inst_feats`` (num_layers, t, Q, C), ``frame_logits``
  (num_layers, t, Q, 1;
  weighted aggregation only), ``references`` (t, Q, 4), ``mask_feats``
  (t, D, H/8, W/8) and ``appearance_feats`` (t, C, H/8, W/8), with t, H
  and W dynamic;
- per video, two graphs (each a plain function of its inputs):
  ``instance_path.onnx``: every layer's aggregated features
  (num_layers, Q, C) ->
  the last layer's class logits (Q, K) and instance queries (Q, C); and
  ``instance_masks.onnx``: the dynamic mask head for n chosen queries on t
  frames -> (n, t, H/4, W/4) logits, n and t dynamic.

The aggregation over frames (a running softmax), the selection of the top
pairs and the mask post-processing stay in the shared Python code, which
both backends run.

Traced with ``torch.onnx.export``'s TorchScript tracer (not dynamo); while
traced, the model runs its traceable code
(:mod:`mmseqformer.ops.traceable_sampling`): deformable attention becomes
ONNX ``GridSample`` (opset >= 16), no custom op.
"""
import json
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..utils import atomic_output_folder
from ..utils.torch_compat import torchscript_onnx_export
from .deploy_meta import (CONFIG_FILE, GRAPH_FILES, META_FILE, META_FORMAT,
                          META_VERSION)
from .graphs import (FRAME_INPUTS, INSTANCE_INPUTS, INSTANCE_OUTPUTS,
                     MASK_INPUTS, MASK_OUTPUTS, FramePathsGraph,
                     InstanceMasksGraph, InstancePathGraph)

#: Lowest opset with GridSample.
MIN_OPSET = 16
#: (t, H, W) of the frames the graphs are traced with (any size works).
TRACE_SIZE = (2, 128, 160)


def export_onnx(model: nn.Module,
                out_dir: str,
                opset: int = 17,
                trace_size: Sequence[int] = TRACE_SIZE,
                source_config: Optional[str] = None,
                checkpoint: Optional[str] = None) -> Dict:
    """Write the three graphs, ``config.py`` and ``deploy.json`` into
    ``out_dir`` (which appears only when complete).

    Args:
        model (SeqFormer): From :func:`~mmseqformer.apis.init_vis_model`
            on the CPU (``cfg`` and ``dataset_meta`` attached).
        out_dir (str): The exported model folder; an earlier export there
            is replaced, any other content refused.
        opset (int): ONNX opset, at least 16.
        trace_size (Sequence[int]): (t, H, W) of the tracing input.
        source_config (str, optional): Recorded in ``deploy.json``.
        checkpoint (str, optional): Recorded in ``deploy.json``.

    Returns:
        dict: The ``deploy.json`` content.
    """
    if opset < MIN_OPSET:
        raise ValueError(f'opset {opset}: deformable attention needs '
                         f'GridSample, opset >= {MIN_OPSET}')
    weighted = check_exportable(model)
    head = model.track_head
    num_frames, height, width = trace_size
    generator = torch.Generator().manual_seed(0)
    frames = torch.randn(num_frames, 3, height, width, generator=generator)
    frame_graph = FramePathsGraph(model, weighted).eval()
    with torch.no_grad():
        record = frame_graph(frames)
    inst_feats, references, mask_feats = record[0], record[-3], record[-2]
    # (num_layers, Q, C): any values trace the same.
    aggregated = inst_feats.mean(1)
    queries = torch.arange(min(2, head.num_queries))
    mask_args = (mask_feats, aggregated[-1, queries],
                 references[:, queries].contiguous(),
                 torch.tensor([float(width), float(height)]))
    frame_outputs = frame_graph.output_names()
    dynamic_frames = dict(
        frames={
            0: 't',
            2: 'H',
            3: 'W'
        },
        inst_feats={1: 't'},
        frame_logits={1: 't'},
        references={0: 't'},
        mask_feats={
            0: 't',
            2: 'h',
            3: 'w'
        },
        appearance_feats={
            0: 't',
            2: 'h',
            3: 'w'
        })
    dynamic_masks = dict(
        mask_feats={
            0: 't',
            2: 'h',
            3: 'w'
        },
        inst_queries={0: 'n'},
        references={
            0: 't',
            1: 'n'
        },
        mask_logits={
            0: 'n',
            1: 't',
            2: 'mask_h',
            3: 'mask_w'
        })
    graphs = dict(
        frame_paths=(frame_graph, (frames, ), FRAME_INPUTS, frame_outputs, {
            name: axes
            for name, axes in dynamic_frames.items()
            if name in FRAME_INPUTS + frame_outputs
        }),
        instance_path=(InstancePathGraph(model).eval(), (aggregated, ),
                       INSTANCE_INPUTS, INSTANCE_OUTPUTS, {}),
        instance_masks=(InstanceMasksGraph(model).eval(), mask_args,
                        MASK_INPUTS, MASK_OUTPUTS, dynamic_masks))
    meta = deploy_meta(model, opset, weighted, source_config, checkpoint)
    with atomic_output_folder(out_dir, META_FILE) as tmp_dir:
        for role, (graph, args, inputs, outputs, dynamic) in graphs.items():
            path = osp.join(tmp_dir, GRAPH_FILES[role])
            export_graph(graph, args, path, inputs, outputs, dynamic, opset)
            meta['graphs'][role] = dict(
                file=GRAPH_FILES[role],
                inputs=list(inputs),
                outputs=list(outputs))
        model.cfg.dump(osp.join(tmp_dir, CONFIG_FILE))
        with open(osp.join(tmp_dir, META_FILE), 'w') as f:
            json.dump(meta, f, indent=2)
    return meta


def check_exportable(model: nn.Module) -> bool:
    """Refuse models the graphs cannot represent; return whether the
    decoder layers aggregate frames by weights."""
    if not hasattr(model, 'cfg'):
        raise ValueError('the model has no cfg: build it with '
                         'mmseqformer.apis.init_vis_model')
    parameter = next(model.parameters())
    if parameter.device.type != 'cpu':
        raise ValueError('export runs on the CPU: build the model with '
                         "init_vis_model(..., device='cpu')")
    decoder = model.track_head.decoder
    if not decoder.query_decompose:
        raise ValueError('only models with query decomposition export: '
                         'without it the box path reads the instance query '
                         'and no per-frame graph exists')
    modes = decoder.aggregations
    if len(set(modes)) > 1 and 'weighted' in modes:
        raise ValueError(f'decoder aggregations {modes}: weighted and '
                         'unweighted layers mixed are not supported')
    return modes[0] == 'weighted'


def export_graph(graph: nn.Module, args: Tuple[Tensor, ...], path: str,
                 input_names: Sequence[str], output_names: Sequence[str],
                 dynamic_axes: Dict, opset: int) -> None:
    """Trace ``graph`` on ``args`` into ``path`` and check it with
    ``onnx.checker`` (full check, with shape inference)."""
    import onnx
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about every Python number it records and the
        # exporter about its own deprecation; whether the sizes stayed
        # dynamic is checked by running the graphs at other sizes
        # (export_onnx.py's check, tests/test_deploy).
        warnings.simplefilter('ignore')
        torchscript_onnx_export(
            graph,
            args,
            path,
            opset_version=opset,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            do_constant_folding=True)
    onnx.checker.check_model(path, full_check=True)


def deploy_meta(model: nn.Module, opset: int, weighted: bool,
                source_config: Optional[str],
                checkpoint: Optional[str]) -> Dict:
    """The ``deploy.json`` content, graphs not yet filled in."""
    import onnx
    head = model.track_head
    preprocessor = model.cfg.model.data_preprocessor
    return dict(
        format=META_FORMAT,
        version=META_VERSION,
        graphs={},
        config=CONFIG_FILE,
        source_config=source_config,
        checkpoint=checkpoint,
        dataset_meta=json.loads(json.dumps(model.dataset_meta, default=str)),
        num_layers=head.decoder.num_layers,
        num_queries=head.num_queries,
        num_classes=head.num_classes,
        embed_dims=head.decoder.embed_dims,
        aggregations=head.decoder.aggregations,
        weighted=weighted,
        test_cfg=dict(head.test_cfg),
        input=dict(
            frames='(t, 3, H, W) float32, resized by the config test '
            'pipeline, normalised, not padded',
            mean=list(preprocessor.get('mean') or []),
            std=list(preprocessor.get('std') or []),
            bgr_to_rgb=bool(preprocessor.get('bgr_to_rgb', False))),
        opset=opset,
        exporter='torch.onnx.export (TorchScript tracer, dynamo=False)',
        torch=torch.__version__,
        onnx=onnx.__version__)

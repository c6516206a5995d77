"""ONNX export: valid graphs without custom ops whose sizes stay dynamic
(ONNX Runtime against PyTorch's inference code at untraced sizes), the
traceable code agreeing with the eager one, and the errors of misuse."""
import json
import os
import os.path as osp

import pytest
import torch
from mmdet.models.layers.transformer import DeformableDetrTransformerEncoder

from mmseqformer.deploy import export_onnx
from mmseqformer.deploy.parity import TOLERANCE
from mmseqformer.models.layers import FrameFoldedEncoder
from mmseqformer.models.vis.seqformer import unflatten_levels

onnx = pytest.importorskip(
    'onnx', reason='requirements/deploy.txt not installed')
ort = pytest.importorskip(
    'onnxruntime', reason='requirements/deploy.txt not installed')

GRAPHS = ('frame_paths.onnx', 'instance_path.onnx', 'instance_masks.onnx')


def session(model_dir, name):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(
        osp.join(model_dir, name), options, providers=['CPUExecutionProvider'])


def test_graphs_pass_the_checker_with_standard_ops_only(model_dir):
    ops = set()
    for name in GRAPHS:
        graph = onnx.load(osp.join(model_dir, name))
        onnx.checker.check_model(graph, full_check=True)
        assert {node.domain for node in graph.graph.node} <= {'', 'ai.onnx'}
        ops |= {node.op_type for node in graph.graph.node}
    # Deformable attention is GridSample, not a custom op.
    assert 'GridSample' in ops


@pytest.mark.parametrize(
    'num_frames,height,width',
    [
        (1, 96, 128),
        (3, 120, 88),
        # Levels one pixel high (stride 64): mmdet's linspace would give
        # NaN reference points once exported.
        (2, 64, 200)
    ])
def test_frame_graph_matches_pytorch_at_untraced_sizes(torch_model, model_dir,
                                                       num_frames, height,
                                                       width):
    frames = torch.randn(
        num_frames,
        3,
        height,
        width,
        generator=torch.Generator().manual_seed(height))
    with torch.no_grad():
        expected = torch_model.frame_paths(
            frames[None], _frames_sample(num_frames, height, width))
    (inst_feats, frame_logits, references, mask_feats,
     appearance_feats) = session(model_dir, 'frame_paths.onnx').run(
         None, {'frames': frames.numpy()})
    for got, want in ((inst_feats, expected.inst_feats),
                      (frame_logits, expected.frame_logits),
                      (references, expected.references), (mask_feats,
                                                          expected.mask_feats),
                      (appearance_feats, expected.appearance_feats)):
        assert got.shape == tuple(want.shape)
        assert (torch.from_numpy(got) - want).abs().max() < TOLERANCE
    assert mask_feats.shape[2:] == ((height + 7) // 8, (width + 7) // 8)
    assert appearance_feats.shape[2:] == mask_feats.shape[2:]


@pytest.mark.parametrize('num_queries,num_frames,height,width',
                         [(1, 4, 15, 11), (6, 1, 8, 25), (3, 2, 12, 16)])
def test_mask_graph_matches_pytorch_for_any_queries_and_frames(
        torch_model, model_dir, num_queries, num_frames, height, width):
    head = torch_model.track_head
    generator = torch.Generator().manual_seed(num_queries)
    mask_feats = torch.randn(
        num_frames,
        head.mask_branch.conv_out.out_channels,
        height,
        width,
        generator=generator)
    queries = torch.randn(
        num_queries, head.decoder.embed_dims, generator=generator)
    references = torch.rand(num_frames, num_queries, 4, generator=generator)
    image_size = (width * 8 - 5, height * 8 - 3)
    with torch.no_grad():
        expected = head.instance_masks(mask_feats, queries, references,
                                       image_size)
    (got, ) = session(model_dir, 'instance_masks.onnx').run(
        None,
        dict(
            mask_feats=mask_feats.numpy(),
            inst_queries=queries.numpy(),
            references=references.numpy(),
            image_size=torch.tensor(image_size, dtype=torch.float32).numpy()))
    assert got.shape == (num_queries, num_frames, 2 * height, 2 * width)
    assert (torch.from_numpy(got) - expected).abs().max() < TOLERANCE


def test_instance_graph_matches_pytorch(torch_model, model_dir):
    head = torch_model.track_head
    aggregated = torch.randn(
        len(head.decoder.layers),
        head.num_queries,
        head.decoder.embed_dims,
        generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        cls_logits, inst_queries = torch_model.instance_path(
            [layer[None] for layer in aggregated])
    got = session(model_dir,
                  'instance_path.onnx').run(None,
                                            {'aggregated': aggregated.numpy()})
    assert (torch.from_numpy(got[0]) - cls_logits).abs().max() < TOLERANCE
    assert (torch.from_numpy(got[1]) - inst_queries).abs().max() < TOLERANCE


def test_deploy_json_describes_the_model_without_its_checkpoint(
        torch_model, model_dir):
    meta = json.load(open(osp.join(model_dir, 'deploy.json')))
    head = torch_model.track_head
    assert meta['dataset_meta']['classes'] == list(
        torch_model.dataset_meta['classes'])
    assert meta['num_layers'] == len(head.decoder.layers) == len(
        meta['aggregations'])
    assert (meta['num_queries'], meta['num_classes']) == (head.num_queries,
                                                          head.num_classes)
    assert meta['input']['std'] == [58.395, 57.12, 57.375]
    assert sorted(
        os.listdir(model_dir)) == sorted(('config.py', 'deploy.json') + GRAPHS)


def test_encoder_reference_points_are_mmdets_bit_for_bit():
    """Written to export (no linspace), they are mmdet's values exactly."""
    shapes = torch.tensor([[12, 20], [6, 10], [3, 5], [1, 3]])
    valid_ratios = torch.rand(
        2, 4, 2, generator=torch.Generator().manual_seed(0)) * 0.5 + 0.5
    assert torch.equal(
        FrameFoldedEncoder.get_encoder_reference_points(
            shapes, valid_ratios, 'cpu'),
        DeformableDetrTransformerEncoder.get_encoder_reference_points(
            shapes, valid_ratios, 'cpu'))


def test_traced_level_unflattening_keeps_sizes_symbolic():
    shapes = torch.tensor([[4, 6], [2, 3]])
    memory = torch.randn(2, 30, 5)
    eager = unflatten_levels(memory, shapes)
    assert [tuple(level.shape) for level in eager] == [(2, 5, 4, 6),
                                                       (2, 5, 2, 3)]

    def first_level(memory, shapes):
        return unflatten_levels(memory, shapes)[0]

    traced = torch.jit.trace(first_level, (memory, shapes))
    assert torch.equal(traced(memory, shapes), eager[0])
    # Another size through the same trace: the sizes were not recorded.
    other = torch.tensor([[3, 2], [1, 1]])
    memory = torch.randn(1, 7, 5)
    assert torch.equal(
        traced(memory, other),
        unflatten_levels(memory, other)[0])


def test_export_refuses_a_model_without_query_decomposition(
        tmp_path, torch_model):
    layers = torch_model.track_head.decoder.layers
    layers[1].query_decompose = False
    try:
        with pytest.raises(ValueError, match='query decomposition'):
            export_onnx(torch_model, str(tmp_path / 'out'))
    finally:
        layers[1].query_decompose = True
    assert not osp.exists(tmp_path / 'out')


def test_export_refuses_an_opset_without_grid_sample(tmp_path, torch_model):
    with pytest.raises(ValueError, match='GridSample'):
        export_onnx(torch_model, str(tmp_path / 'out'), opset=15)


def _frames_sample(num_frames, height, width):
    from mmdet.structures import DetDataSample, TrackDataSample
    return TrackDataSample(video_data_samples=[
        DetDataSample(
            metainfo=dict(
                img_shape=(height, width), batch_input_shape=(height, width)))
        for _ in range(num_frames)
    ])

"""ONNX export: valid graphs without custom ops whose sizes stay dynamic
(ONNX Runtime against PyTorch's inference code at untraced sizes), the
export-time patches, and the errors of misuse."""
import json
import os
import os.path as osp

import pytest
import torch

from mmseqformer.deploy import export_onnx, traceable_inference
from mmseqformer.deploy.export_mode import PATCHES
from mmseqformer.deploy.parity import TOLERANCE
from mmseqformer.models.vis import SeqFormerEngine

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
    expected = SeqFormerEngine(torch_model).frame_paths(
        frames[None], _frames_sample(num_frames, height, width))
    inst_feats, frame_logits, references, mask_feats = session(
        model_dir, 'frame_paths.onnx').run(None, {'frames': frames.numpy()})
    for got, want in ((inst_feats, expected.inst_feats),
                      (frame_logits, expected.frame_logits),
                      (references, expected.references),
                      (mask_feats, expected.mask_feats)):
        assert got.shape == tuple(want.shape)
        assert (torch.from_numpy(got) - want).abs().max() < TOLERANCE
    assert mask_feats.shape[2:] == ((height + 7) // 8, (width + 7) // 8)


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
    cls_logits, inst_queries = SeqFormerEngine(torch_model).instance_path(
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


def test_traceable_inference_puts_everything_back_after_an_error():
    before = [vars(owner)[name] for owner, name, _ in PATCHES]
    with pytest.raises(KeyError):
        with traceable_inference():
            assert [vars(owner)[name] for owner, name, _ in PATCHES
                    ] == [replacement for _, _, replacement in PATCHES]
            assert not torch.is_grad_enabled()
            raise KeyError('boom')
    assert [vars(owner)[name] for owner, name, _ in PATCHES] == before
    assert torch.is_grad_enabled()


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

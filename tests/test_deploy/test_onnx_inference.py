"""ONNX Runtime through the usual API: parity with PyTorch (class logits,
boxes, mask probabilities within 1e-3, the same top-10 pairs), identical
``inference_vis`` / ``stream_vis`` results in every mode, the tools."""
import json
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
import torch

from mmseqformer.apis import inference_vis, init_vis_model, stream_vis
from mmseqformer.deploy import OnnxVisModel
from mmseqformer.deploy.parity import (TOLERANCE, backend_differences,
                                       parity_failures)
from mmseqformer.models.vis import SeqFormerEngine
from mmseqformer.testing import TINY_CONFIG, moving_block_video, run_tool

pytest.importorskip(
    'onnxruntime', reason='requirements/deploy.txt not '
    'installed')

NUM_FRAMES = 6


def test_onnx_runtime_agrees_with_pytorch_within_1e_3(torch_model, onnx_model):
    differences = backend_differences(torch_model, onnx_model,
                                      list(moving_block_video(NUM_FRAMES)))
    assert parity_failures(differences) == []
    for key in ('cls_logits', 'references', 'mask_probs', 'scores'):
        assert differences[key] < TOLERANCE
    # The top-10 pairs: all of them, the same, in the same order.
    assert differences['same_selection']
    assert len(differences['torch_selection']) == 10


def test_the_model_is_a_network_with_the_shared_engine(onnx_model,
                                                       torch_model):
    assert isinstance(onnx_model, OnnxVisModel)
    engine = onnx_model.inference_engine()
    torch_engine = torch_model.inference_engine()
    # The same engine class: only the three network steps differ.
    assert type(engine) is SeqFormerEngine and engine.network is onnx_model
    assert engine.aggregations == torch_engine.aggregations
    assert engine.test_cfg == torch_engine.test_cfg
    assert engine.dtype == torch.float32
    assert onnx_model.dataset_meta == torch_model.dataset_meta
    assert not hasattr(onnx_model, 'track_head')


def _same_prediction(a, b) -> None:
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.instance_ids, b.instance_ids)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)
    assert a.masks == b.masks  # RLE of every frame, identical
    for boxes_a, boxes_b in zip(a.bboxes, b.bboxes):
        np.testing.assert_array_equal(boxes_a, boxes_b)


@pytest.mark.parametrize('mode,options', [('offline', dict(chunk_size=2)),
                                          ('online', {})])
def test_inference_vis_gives_the_pytorch_result(torch_model, onnx_model, mode,
                                                options):
    video = moving_block_video(NUM_FRAMES)
    expected = inference_vis(torch_model, video, mode=mode, **options)
    got = inference_vis(onnx_model, video, mode=mode, **options)
    assert len(expected.scores) > 0
    _same_prediction(expected, got)


@pytest.mark.parametrize('mode,options',
                         [('window', dict(window=3)),
                          ('clips', dict(clip_length=3, overlap=1)),
                          ('online', dict(score_thr=1.0))])
def test_stream_vis_gives_the_pytorch_frames(torch_model, onnx_model, mode,
                                             options):
    video = moving_block_video(5)
    expected = list(stream_vis(torch_model, video, mode=mode, **options))
    got = list(stream_vis(onnx_model, video, mode=mode, **options))
    assert [f.frame_index for f in got] == list(range(5))
    for frame_a, frame_b in zip(expected, got):
        a, b = frame_a.instances, frame_b.instances
        assert torch.equal(a.instances_id, b.instances_id)
        assert torch.equal(a.labels, b.labels)
        assert torch.equal(a.masks, b.masks)
        torch.testing.assert_close(a.scores, b.scores, rtol=0, atol=1e-5)
    if options.get('score_thr') == 1.0:  # no query: no mask graph call
        assert all(len(frame.instances) == 0 for frame in got)


def test_without_a_config_the_exported_one_is_used(model_dir, onnx_model):
    model = init_vis_model(None, model_dir, backend='onnxruntime')
    assert model.cfg.model.track_head.num_queries == 10
    assert model.cfg.test_dataloader == onnx_model.cfg.test_dataloader


def test_mixed_precision_is_refused(onnx_model):
    with pytest.raises(ValueError, match='amp'):
        onnx_model.inference_engine(amp=True)


def test_a_folder_that_is_no_export_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='no deploy.json'):
        init_vis_model(TINY_CONFIG, str(tmp_path), backend='onnxruntime')
    with pytest.raises(ValueError, match="backend must be"):
        init_vis_model(TINY_CONFIG, str(tmp_path), backend='tensorrt')


def test_a_missing_graph_is_named(model_dir, tmp_path):
    copy = str(tmp_path / 'copy')
    shutil.copytree(model_dir, copy)
    (tmp_path / 'copy' / 'instance_masks.onnx').unlink()
    with pytest.raises(FileNotFoundError, match='instance_masks.onnx'):
        init_vis_model(None, copy, backend='onnxruntime')


def test_a_config_of_another_model_is_refused(model_dir):
    with pytest.raises(ValueError, match='deploy.json: num_classes is 3'):
        init_vis_model(
            TINY_CONFIG,
            model_dir,
            cfg_options={'model.track_head.num_classes': 5},
            backend='onnxruntime')
    # Inference settings may change.
    model = init_vis_model(
        TINY_CONFIG,
        model_dir,
        cfg_options={'model.track_head.test_cfg.max_per_video': 3},
        backend='onnxruntime')
    assert model.inference_engine().test_cfg['max_per_video'] == 3


@pytest.mark.slow
def test_export_tool_then_demo_on_onnx_runtime(torch_model, tmp_path):
    import cv2
    checkpoint = str(tmp_path / 'tiny.pth')
    torch.save(
        dict(
            state_dict=torch_model.state_dict(),
            meta=dict(dataset_meta=dict(torch_model.dataset_meta))),
        checkpoint)
    out_dir = str(tmp_path / 'tiny_onnx')
    log = run_tool([
        sys.executable, 'tools/deployment/export_onnx.py', TINY_CONFIG,
        checkpoint, out_dir
    ])
    assert 'onnx.checker: passed' in log and 'same top pairs: True' in log
    video = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 3,
                             (150, 90))
    for frame in moving_block_video(4):
        writer.write(frame)
    writer.release()
    results = {}
    for backend, weights in (('pytorch', checkpoint), ('onnxruntime',
                                                       out_dir)):
        out = str(tmp_path / f'{backend}.mp4')
        run_tool([
            sys.executable, 'tools/demo/video_demo.py', video, TINY_CONFIG,
            weights, '--out', out, '--backend', backend, '--mode', 'online'
        ])
        results[backend] = json.load(open(out[:-4] + '.json'))
        assert osp.getsize(out) > 0
    assert results['pytorch'] and [
        (entry['category_id'], entry['segmentations'])
        for entry in results['pytorch']
    ] == [(entry['category_id'], entry['segmentations'])
          for entry in results['onnxruntime']]


@pytest.mark.slow
def test_benchmark_runs_at_a_tiny_size():
    log = run_tool([
        sys.executable, 'tools/analysis_tools/benchmark.py', 'onnx',
        '--config', TINY_CONFIG, '--size', '64', '96', '--frames', '3',
        '--repeats', '1'
    ])
    assert '| onnxruntime |' in log and '| pytorch |' in log
    assert 'same top pairs: True' in log

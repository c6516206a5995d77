"""The configured test path gives the official inference input.

The official ``inference.py`` opens frames with PIL, applies torchvision's
``Resize(360)``, ``ToTensor`` and ImageNet ``Normalize`` and stacks the
frames of a video with no padding. Here that is computed by hand (PIL and
numpy) and compared with what a SeqFormer config's test pipeline and data
preprocessor give, through the dataset (``tools/test.py``) and through the
array path of ``mmseqformer.apis`` (the demo, ``inference_vis``).
"""
import json
import os.path as osp
import types

import numpy as np
import pytest
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image

from mmseqformer.apis import build_vis_test_pipeline, preprocess_frames
from mmseqformer.datasets import YouTubeVISFormatDataset
from mmseqformer.testing import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs/seqformer',
                  'seqformer_r50_8xb2-12e_youtubevis2019.py')
NUM_FRAMES = 2
MEAN = np.float32([0.485, 0.456, 0.406])
STD = np.float32([0.229, 0.224, 0.225])


def street_like_frame(seed):
    """1080p RGB: gradients, edges and noise (JPEG-compressible)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:1080, 0:1920]
    img = np.stack([xs // 7 % 256, ys // 5 % 256, (xs + 3 * ys) // 11 % 256],
                   -1)
    img[300:700, 500:900] = (200, 40, 90)
    img = img + rng.integers(0, 24, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope='module')
def frame_files(tmp_path_factory):
    root = tmp_path_factory.mktemp('video')
    paths = []
    for t in range(NUM_FRAMES):
        path = root / f'{t:05d}.jpg'
        Image.fromarray(street_like_frame(t)).save(path, quality=90)
        paths.append(str(path))
    return paths


def official_input(path):
    """(3, H, W): PIL decode, Resize(360) (shorter side 360, longer
    truncated), ToTensor (x / 255 in float32), Normalize, by hand."""
    img = Image.open(path)
    width, height = img.size
    new_w, new_h = int(360 * width / height), 360
    pixels = np.asarray(img.resize((new_w, new_h), Image.BILINEAR))
    pixels = pixels.astype(np.float32) / np.float32(255)
    return ((pixels - MEAN) / STD).transpose(2, 0, 1)


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(CONFIG)


@pytest.fixture(scope='module')
def preprocessor(cfg):
    return MODELS.build(cfg.model.data_preprocessor)


def check_official(inputs, samples, frame_files):
    """``inputs`` (1, T, 3, 360, 640) equal the official input; no
    padding anywhere in the metadata."""
    assert tuple(inputs.shape) == (1, NUM_FRAMES, 3, 360, 640)
    for t, path in enumerate(frame_files):
        np.testing.assert_allclose(
            inputs[0, t].numpy(), official_input(path), rtol=0, atol=1e-6)
        meta = samples[t]
        assert meta.img_shape == (360, 640)
        assert tuple(meta.batch_input_shape) == (360, 640)
        assert tuple(meta.pad_shape) == (360, 640)
        assert meta.ori_shape == (1080, 1920)


def test_dataset_path_gives_the_official_unpadded_input(
        cfg, preprocessor, frame_files, tmp_path):
    polygon = [[600.0, 400.0, 800.0, 400.0, 800.0, 600.0, 600.0, 600.0]]
    content = dict(
        info={},
        licenses=[],
        categories=[dict(id=1, name='person')],
        videos=[
            dict(
                id=1,
                width=1920,
                height=1080,
                length=NUM_FRAMES,
                file_names=[path.split('/')[-1] for path in frame_files])
        ],
        annotations=[
            dict(
                id=1,
                video_id=1,
                category_id=1,
                iscrowd=0,
                width=1920,
                height=1080,
                length=NUM_FRAMES,
                segmentations=[polygon] * NUM_FRAMES,
                bboxes=[[600.0, 400.0, 200.0, 200.0]] * NUM_FRAMES,
                areas=[40000.0] * NUM_FRAMES)
        ])
    ann_file = tmp_path / 'valid.json'
    ann_file.write_text(json.dumps(content))
    dataset_cfg = cfg.test_dataloader.dataset
    dataset = YouTubeVISFormatDataset(
        ann_file=str(ann_file),
        data_prefix=dict(img_path=frame_files[0].rsplit('/', 1)[0]),
        metainfo=dict(classes=('person', )),
        test_mode=True,
        pipeline=dataset_cfg.pipeline)
    batch = preprocessor(pseudo_collate([dataset[0]]), False)
    samples = batch['data_samples'][0]
    check_official(batch['inputs'], samples, frame_files)
    # Ground truth stays at the original size for the metric.
    assert samples[0].gt_instances.masks.masks.shape[-2:] == (1080, 1920)


def test_array_path_gives_the_official_unpadded_input(cfg, preprocessor,
                                                      frame_files):
    """``inference_vis``'s path: frames as BGR arrays (decoded here by PIL
    so that decoding is not what is compared)."""
    frames = [np.asarray(Image.open(p))[..., ::-1] for p in frame_files]
    model = types.SimpleNamespace(data_preprocessor=preprocessor)
    inputs, sample = preprocess_frames(model, build_vis_test_pipeline(cfg),
                                       frames, 0, NUM_FRAMES)
    check_official(inputs, sample, frame_files)

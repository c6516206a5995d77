"""COCO pseudo clips mixed with frame-anchored video clips (joint training)."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import BaseDataset, ConcatDataset, pseudo_collate

from mmseqformer.datasets import CocoPseudoVideoDataset
from mmseqformer.testing import REPO_ROOT, tiny_seqformer_cfg

CLASSES = ('ellipse', 'rectangle', 'triangle')
#: "COCO" ids of the test file -> class names (12 is left out on purpose).
CATEGORY_MAP = {11: 'ellipse', 13: 'triangle', 14: 'rectangle'}
COCO_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='ImageToPseudoClip', num_frames=5),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='RandomFlip', prob=0.5),
            dict(type='Resize', scale=(192, 96), keep_ratio=True)
        ]),
    dict(type='DropClipWithoutInstances'),
    dict(type='PackTrackInputs'),
]


@pytest.fixture(scope='module')
def coco_file(synthetic_root, tmp_path_factory):
    """A COCO-format file: the first frame of every synthetic train video."""
    with open(osp.join(synthetic_root, 'train.json')) as f:
        official = json.load(f)
    cat_of = {2: 11, 5: 14, 9: 13}
    images, annotations = [], []
    for video in official['videos']:
        images.append(
            dict(
                id=video['id'],
                file_name=video['file_names'][0],
                width=video['width'],
                height=video['height']))
        for ann in official['annotations']:
            if ann['video_id'] == video['id'] and ann['segmentations'][0]:
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=video['id'],
                        category_id=cat_of[ann['category_id']],
                        segmentation=ann['segmentations'][0],
                        bbox=ann['bboxes'][0],
                        area=ann['areas'][0],
                        iscrowd=0))
    crowd = dict(annotations[0], id=len(annotations) + 1, iscrowd=1)
    content = dict(
        images=images,
        annotations=annotations + [crowd],
        categories=[dict(id=i, name=f'coco{i}') for i in (11, 12, 13, 14)])
    path = tmp_path_factory.mktemp('coco') / 'coco.json'
    path.write_text(json.dumps(content))
    return str(path), content


def coco_dataset(root, path):
    return CocoPseudoVideoDataset(
        category_map=CATEGORY_MAP,
        data_root=root,
        ann_file=path,
        data_prefix=dict(img='train/JPEGImages/'),
        metainfo=dict(classes=CLASSES),
        pipeline=COCO_PIPELINE)


def test_coco_labels_follow_the_category_map(synthetic_root, coco_file):
    path, content = coco_file
    dataset = coco_dataset(synthetic_root, path)
    assert dataset.metainfo['cat_ids'] == (11, 13, 14)
    kept = [a for a in content['annotations'] if not a['iscrowd']]
    expected = sorted(
        CLASSES.index(CATEGORY_MAP[a['category_id']]) for a in kept)
    labels = sorted(inst['bbox_label'] for i in range(len(dataset))
                    for inst in dataset.get_data_info(i)['instances'])
    assert labels == expected  # crowd dropped, every kept one relabelled


def video_dataset(root):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/_base_/datasets/synthetic_vis.py'))
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset_cfg.update(data_root=root, frame_anchored=True)
    return DATASETS.build(dataset_cfg)


def test_frame_anchored_video_dataset_has_one_item_per_annotated_frame(
        synthetic_root):
    dataset = video_dataset(synthetic_root)
    num_videos = BaseDataset.__len__(dataset)
    num_frames = sum(
        dataset.get_data_info(v)['video_length'] for v in range(num_videos))
    assert len(dataset) == num_frames > num_videos
    np.random.seed(0)
    item = dataset[len(dataset) - 1]
    assert item['inputs'].shape[0] == 5


def test_mixed_batch_trains_the_model(synthetic_root, coco_file):
    videos = video_dataset(synthetic_root)
    coco = coco_dataset(synthetic_root, coco_file[0])
    joint = ConcatDataset([videos, coco], ignore_keys=['cat_ids'])
    assert len(joint) == len(videos) + len(coco)
    np.random.seed(1)
    batch = pseudo_collate([joint[0], joint[len(videos)]])
    model = MODELS.build(tiny_seqformer_cfg())
    model.init_weights()
    data = model.data_preprocessor(batch, True)
    assert data['inputs'].shape[:2] == (2, 5)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())

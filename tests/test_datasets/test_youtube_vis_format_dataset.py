import json
import os
import os.path as osp
import random
import shutil

import pytest

from mmseqformer.datasets import VISAnnotationError, YouTubeVISFormatDataset
from mmseqformer.datasets.synthetic import CATEGORY_IDS

CLASSES = ('ellipse', 'rectangle', 'triangle')


def build(root, ann_file='valid.json', split='valid', **kwargs):
    kwargs.setdefault('test_mode', True)
    return YouTubeVISFormatDataset(
        data_root=root,
        ann_file=ann_file,
        data_prefix=dict(img_path=f'{split}/JPEGImages'),
        pipeline=[],
        **kwargs)


def official(root, split='valid'):
    with open(osp.join(root, f'{split}.json')) as f:
        return json.load(f)


def test_both_layouts_load_the_same_videos(synthetic_root):
    from_official = build(synthetic_root)
    from_cocovid = build(synthetic_root,
                         'annotations/synthetic_vis_valid.json')
    assert len(from_official) == len(official(synthetic_root)['videos'])
    for i in range(len(from_official)):
        a, b = from_official.get_data_info(i), from_cocovid.get_data_info(i)
        assert a['video_id'] == b['video_id']
        assert a['video_length'] == b['video_length'] == len(a['images'])
        assert [im['frame_id']
                for im in a['images']] == list(range(a['video_length']))
        assert [im['instances'] for im in a['images']] == \
            [im['instances'] for im in b['images']]


def test_classes_and_category_ids_come_from_the_file(synthetic_root):
    dataset = build(synthetic_root)
    assert dataset.metainfo['classes'] == CLASSES
    assert dataset.metainfo['cat_ids'] == CATEGORY_IDS
    # Labels follow the class order, whatever the category ids are.
    official_anns = official(synthetic_root)['annotations']
    labels = {CATEGORY_IDS.index(a['category_id']) for a in official_anns}
    seen = {
        inst['bbox_label']
        for video in range(len(dataset))
        for im in dataset.get_data_info(video)['images']
        for inst in im['instances']
    }
    assert seen == labels


def test_configured_class_subset_and_order(synthetic_root):
    dataset = build(
        synthetic_root, metainfo=dict(classes=('triangle', 'ellipse')))
    assert dataset.metainfo['cat_ids'] == (9, 2)
    for video in range(len(dataset)):
        for image in dataset.get_data_info(video)['images']:
            assert all(inst['bbox_label'] in (0, 1)
                       for inst in image['instances'])


def test_unknown_configured_class_is_refused(synthetic_root):
    with pytest.raises(
            VISAnnotationError,
            match=r"valid\.json: the configured classes \['cow'\]"):
        build(synthetic_root, metainfo=dict(classes=('ellipse', 'cow')))


def test_missing_frame_file_names_video_and_frame(synthetic_root, tmp_path):
    root = str(tmp_path / 'copy')
    shutil.copytree(synthetic_root, root)
    video = official(root)['videos'][2]
    os.remove(osp.join(root, 'valid/JPEGImages', video['file_names'][1]))
    with pytest.raises(VISAnnotationError) as info:
        build(root)
    message = str(info.value)
    assert 'valid.json' in message and f'video {video["id"]} frame 1' in \
        message and video['file_names'][1] in message


def test_train_mode_drops_unannotated_frames_and_empty_videos(
        synthetic_root, tmp_path):
    content = official(synthetic_root, 'train')
    empty_video = content['videos'][1]['id']
    content['annotations'] = [
        a for a in content['annotations'] if a['video_id'] != empty_video
    ]
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(content))
    test_set = build(synthetic_root, str(path), 'train')
    train_set = build(synthetic_root, str(path), 'train', test_mode=False)
    assert empty_video in [
        test_set.get_data_info(i)['video_id'] for i in range(len(test_set))
    ]
    train_ids = [
        train_set.get_data_info(i)['video_id'] for i in range(len(train_set))
    ]
    assert empty_video not in train_ids
    for i in range(len(train_set)):
        video = train_set.get_data_info(i)
        assert video['video_length'] == len(video['images']) > 0
        assert all(im['instances'] for im in video['images'])


def test_frames_are_ordered_by_frame_id(synthetic_root, tmp_path):
    with open(
            osp.join(synthetic_root,
                     'annotations/synthetic_vis_valid.json')) as f:
        content = json.load(f)
    random.Random(0).shuffle(content['images'])
    path = tmp_path / 'shuffled.json'
    path.write_text(json.dumps(content))
    dataset = build(synthetic_root, str(path))
    for i in range(len(dataset)):
        frame_ids = [
            im['frame_id'] for im in dataset.get_data_info(i)['images']
        ]
        assert frame_ids == sorted(frame_ids)

import json
import os
import os.path as osp
import random
import shutil

import pytest
from mmengine.config import Config

from mmseqformer.datasets import VISAnnotationError, YouTubeVISFormatDataset
from mmseqformer.datasets.synthetic import CATEGORY_IDS
from mmseqformer.datasets.transforms import FrameFileError
from mmseqformer.testing import REPO_ROOT

CLASSES = ('ellipse', 'rectangle', 'triangle')


def build(root, ann_file='valid.json', split='valid', **kwargs):
    kwargs.setdefault('test_mode', True)
    kwargs.setdefault('pipeline', [])
    return YouTubeVISFormatDataset(
        data_root=root,
        ann_file=ann_file,
        data_prefix=dict(img_path=f'{split}/JPEGImages'),
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


def _write_json(tmp_path, content, name='ann.json'):
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def test_split_without_ground_truth_is_read_for_testing(
        synthetic_root, tmp_path):
    # The official YouTube-VIS valid.json has "annotations": null.
    content = official(synthetic_root)
    content['annotations'] = None
    path = _write_json(tmp_path, content)
    pipeline = Config.fromfile(
        osp.join(REPO_ROOT,
                 'configs/_base_/datasets/synthetic_vis.py')).test_pipeline
    dataset = build(synthetic_root, path, pipeline=pipeline)
    assert len(dataset) == len(content['videos'])
    assert dataset.metainfo['has_ground_truth'] is False
    assert dataset.metainfo['ann_file'] == path
    for i, video in enumerate(content['videos']):
        info = dataset.get_data_info(i)
        assert [im['file_name']
                for im in info['images']] == video['file_names']
        assert all(im['instances'] == [] for im in info['images'])
    # The test pipeline runs on it: frames in, no ground truth out.
    packed = dataset[0]
    assert packed['inputs'].shape[0] == len(content['videos'][0]['file_names'])
    assert all(
        len(frame.gt_instances) == 0 for frame in packed['data_samples'])


def test_annotated_split_says_it_has_ground_truth(synthetic_root):
    assert build(synthetic_root).metainfo['has_ground_truth'] is True
    # Training metainfo stays as it was: ConcatDataset (joint training)
    # needs the same keys in the video and the COCO datasets.
    train_set = build(synthetic_root, test_mode=False)
    assert train_set.has_ground_truth
    assert 'has_ground_truth' not in train_set.metainfo


def test_training_on_a_split_without_ground_truth_names_the_file(
        synthetic_root, tmp_path):
    content = official(synthetic_root)
    content['annotations'] = None
    path = _write_json(tmp_path, content)
    with pytest.raises(VISAnnotationError) as info:
        build(synthetic_root, path, test_mode=False)
    message = str(info.value)
    assert message.startswith(f'{path}: cannot train on a file without '
                              'ground truth')


def test_empty_training_set_says_so(synthetic_root, tmp_path):
    # Annotations exist, but none of the configured class: every frame is
    # filtered out (mmengine used to fail in numpy: "need at least one
    # array to concatenate").
    content = official(synthetic_root)
    content['annotations'] = [
        ann for ann in content['annotations']
        if ann['category_id'] != CATEGORY_IDS[0]
    ]
    path = _write_json(tmp_path, content)
    with pytest.raises(VISAnnotationError) as info:
        build(
            synthetic_root,
            path,
            test_mode=False,
            metainfo=dict(classes=(CLASSES[0], )))
    assert str(info.value) == (
        f'{path}: the training set is empty ({len(content["videos"])} '
        f'video(s) read): none of its frames has an instance of the classes '
        f"['{CLASSES[0]}']")


def _copy_root(synthetic_root, tmp_path):
    root = str(tmp_path / 'copy')
    shutil.copytree(synthetic_root, root)
    return root


@pytest.mark.parametrize('test_mode', [True, False])
@pytest.mark.parametrize('content, problem', [
    (b'', 'is empty (0 bytes)'),
    (b'<html>not found</html>', 'is not an image OpenCV can decode'),
])
def test_unreadable_frame_is_named_when_the_dataset_is_built(
        synthetic_root, tmp_path, test_mode, content, problem):
    root = _copy_root(synthetic_root, tmp_path)
    # The frame where the last instance is largest: used in both modes.
    ann = official(root)['annotations'][-1]
    frame = max(range(len(ann['areas'])), key=lambda i: ann['areas'][i] or 0)
    video = next(
        v for v in official(root)['videos'] if v['id'] == ann['video_id'])
    frame_path = osp.join(root, 'valid/JPEGImages', video['file_names'][frame])
    with open(frame_path, 'wb') as f:
        f.write(content)
    with pytest.raises(FrameFileError) as info:
        build(root, test_mode=test_mode)
    message = str(info.value)
    assert message.startswith(f'{osp.join(root, "valid.json")}: video '
                              f'{video["id"]} frame {frame} ')
    assert f'{frame_path} {problem}' in message


def test_training_ignores_broken_frames_it_never_reads(synthetic_root,
                                                       tmp_path):
    root = _copy_root(synthetic_root, tmp_path)
    content = official(root, 'train')
    unannotated = content['videos'][1]
    content['annotations'] = [
        a for a in content['annotations'] if a['video_id'] != unannotated['id']
    ]
    path = _write_json(tmp_path, content)
    open(
        osp.join(root, 'train/JPEGImages', unannotated['file_names'][0]),
        'wb').close()
    train_set = build(root, path, 'train', test_mode=False)
    assert unannotated['id'] not in [
        train_set.get_data_info(i)['video_id'] for i in range(len(train_set))
    ]
    with pytest.raises(FrameFileError, match='0 bytes'):
        build(root, path, 'train')

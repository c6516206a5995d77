"""COCO-format per-frame video annotations -> YouTube-VIS, and back through
the existing YouTube-VIS -> CocoVID converter."""
import copy
import json
import os

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmseqformer.datasets import VISAnnotationError, YouTubeVISFormatDataset
from mmseqformer.datasets.converters import (CocoVideoFields,
                                             coco_video_to_ytvis)
from mmseqformer.datasets.converters.ytvis_to_cocovid import \
    official_to_cocovid
from tests.test_datasets.dataset_views import dataset_instances, write_json

CATEGORIES = [dict(id=3, name='cat'), dict(id=8, name='dog')]


def load_dataset(ann_file, frames_root):
    return YouTubeVISFormatDataset(
        ann_file=ann_file,
        data_prefix=dict(img_path=frames_root),
        pipeline=[],
        test_mode=True)


def test_cocovid_round_trips_through_youtubevis2cocovid(
        synthetic_root, tmp_path):
    """official -> CocoVID (the existing converter) -> YouTube-VIS (this
    one) gives the official file back, entry for entry."""
    official_path = os.path.join(synthetic_root, 'train.json')
    with open(official_path) as f:
        official = json.load(f)
    cocovid = official_to_cocovid(official, official_path)
    converted = coco_video_to_ytvis(cocovid, 'cocovid.json')
    assert converted['videos'] == official['videos']
    assert converted['annotations'] == official['annotations']
    assert [(c['id'], c['name']) for c in converted['categories']] == \
        [(c['id'], c['name']) for c in official['categories']]
    frames_root = os.path.join(synthetic_root, 'train/JPEGImages')
    original = load_dataset(official_path, frames_root)
    loaded = load_dataset(
        write_json(tmp_path / 'converted.json', converted), frames_root)
    assert dataset_instances(loaded) == dataset_instances(original)


def box_mask(height, width, x1, y1, x2, y2):
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[y1:y2, x1:x2] = 1
    return mask


def polygon(x1, y1, x2, y2):
    return [[x1, y1, x2, y1, x2, y2, x1, y2]]


def uncompressed_rle(mask):
    """COCO's uncompressed RLE (``iscrowd`` masks of CVAT and OVIS)."""
    flat = mask.flatten(order='F')
    counts, current, run = [], 0, 0
    for value in flat:
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    counts.append(run)
    return dict(size=list(mask.shape), counts=counts)


@pytest.fixture
def cvat_export(tmp_path):
    """A CVAT-style export of two videos: no video or frame ids (folders
    and file names say them), frames listed out of order, tracks in
    ``attributes.track_id`` (starting at 0), polygons and uncompressed RLE,
    a track absent from one frame."""
    frames_root = tmp_path / 'frames'
    sizes = {'walk': (24, 32), 'park': (20, 20)}
    images = []
    for video, (height, width) in sizes.items():
        (frames_root / video).mkdir(parents=True)
        for frame in (2, 0, 1):  # listed out of order
            name = f'{video}/frame_{frame:06d}.jpg'
            cv2.imwrite(
                str(frames_root / name),
                np.full((height, width, 3), 50 * frame, np.uint8))
            images.append(
                dict(
                    id=len(images) + 10,
                    file_name=name,
                    height=height,
                    width=width))
    image_id = {image['file_name']: image['id'] for image in images}
    annotations = []

    def add(video, frame, track, category, segmentation, iscrowd=0):
        annotations.append(
            dict(
                id=len(annotations) + 100,
                image_id=image_id[f'{video}/frame_{frame:06d}.jpg'],
                category_id=category,
                segmentation=segmentation,
                iscrowd=iscrowd,
                bbox=[0, 0, 1, 1],
                area=1,
                attributes=dict(occluded=False, track_id=track)))

    for frame in range(3):
        add('walk', frame, 0, 3, polygon(2 + frame, 2, 12 + frame, 10))
        if frame != 1:  # track 1 is absent from frame 1
            add('walk', frame, 1, 8,
                uncompressed_rle(box_mask(24, 32, 15, 12, 30, 20)), 1)
    add('park', 2, 7, 8, polygon(1, 1, 9, 9))
    content = dict(
        licenses=[],
        info={},
        categories=CATEGORIES,
        images=images,
        annotations=annotations)
    return str(frames_root), content


def test_cvat_style_export_converts_and_loads(cvat_export, tmp_path):
    frames_root, content = cvat_export
    converted = coco_video_to_ytvis(content, 'cvat.json')
    # Folders in name order, numbered from 1; frames in file-name order.
    assert [(v['id'], v['file_names'][0], v['length'], v['height'], v['width'])
            for v in converted['videos']
            ] == [(1, 'park/frame_000000.jpg', 3, 20, 20),
                  (2, 'walk/frame_000000.jpg', 3, 24, 32)]
    park, walk_0, walk_1 = converted['annotations']
    assert [ann['video_id'] for ann in converted['annotations']] == [1, 2, 2]
    assert park['segmentations'][:2] == [None, None]
    assert walk_1['segmentations'][1] is None
    assert walk_1['bboxes'][1] is None and walk_1['areas'][1] is None
    assert (walk_0['category_id'], walk_1['category_id']) == (3, 8)
    # A track with a crowd frame is a crowd track.
    assert (walk_0['iscrowd'], walk_1['iscrowd']) == (0, 1)
    np.testing.assert_array_equal(
        mask_utils.decode(walk_1['segmentations'][2]),
        box_mask(24, 32, 15, 12, 30, 20))
    assert walk_1['bboxes'][2] == [15.0, 12.0, 15.0, 8.0]
    # The polygon moved one pixel per frame.
    shifts = [mask_utils.toBbox(rle)[0] for rle in walk_0['segmentations']]
    assert shifts == [2, 3, 4]
    dataset = load_dataset(
        write_json(tmp_path / 'ytvis.json', converted), frames_root)
    instances = dataset_instances(dataset)
    assert [len(frame[1]) for frame in instances[2]] == [2, 1, 2]
    assert dataset.metainfo['classes'] == ('cat', 'dog')
    # Back to CocoVID: every (track, frame) mask of the input is there.
    cocovid = official_to_cocovid(converted, 'ytvis.json')
    images = {image['id']: image for image in cocovid['images']}
    back = {(images[ann['image_id']]['file_name'], ann['category_id']):
            mask_utils.decode(ann['segmentation'])
            for ann in cocovid['annotations']}
    source_images = {image['id']: image for image in content['images']}
    expected = {}
    for ann in content['annotations']:
        image = source_images[ann['image_id']]
        rle = mask_utils.frPyObjects(ann['segmentation'], image['height'],
                                     image['width'])
        expected[(image['file_name'], ann['category_id'])] = \
            mask_utils.decode(mask_utils.merge(
                rle if isinstance(rle, list) else [rle]))
    assert back.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(back[key], expected[key])
    # --ignore-iscrowd: CVAT marks its brush masks as crowd.
    assert {
        ann['iscrowd']
        for ann in coco_video_to_ytvis(
            content, 'cvat.json', ignore_iscrowd=True)['annotations']
    } == {0}


def test_top_level_track_ids_and_chosen_fields(cvat_export):
    _, content = cvat_export
    # Video and frame ids on the images, track id at the top level.
    flat = copy.deepcopy(content)
    for image in flat['images']:
        video, name = image['file_name'].split('/')
        image['video_id'] = {'walk': 4, 'park': 9}[video]
        image['frame_id'] = 10 * int(name[6:12])  # gaps are fine
    for ann in flat['annotations']:
        ann['track_id'] = ann.pop('attributes')['track_id']
    from_fields = coco_video_to_ytvis(flat, 'flat.json')
    by_folders = coco_video_to_ytvis(content, 'cvat.json')
    # Integer video ids are kept; videos in id order.
    assert [v['id'] for v in from_fields['videos']] == [4, 9]
    assert [v['file_names'] for v in from_fields['videos']] == \
        [v['file_names'] for v in by_folders['videos'][::-1]]
    # Fields named by the user, nested or not.
    custom = copy.deepcopy(flat)
    for image in custom['images']:
        image['clip'] = image.pop('video_id')
        image['t'] = -image.pop('frame_id')  # reversed order
    for ann in custom['annotations']:
        ann['meta'] = dict(object=ann.pop('track_id'))
    converted = coco_video_to_ytvis(
        custom, 'custom.json',
        CocoVideoFields(track='meta.object', video='clip', frame='t'))
    assert [v['file_names'] for v in converted['videos']
            ] == [v['file_names'][::-1] for v in from_fields['videos']]
    assert len(converted['annotations']) == 3
    # Choosing file-name order and folders over the ids gives the same
    # frames as the folder-only export.
    forced = coco_video_to_ytvis(
        custom, 'custom.json',
        CocoVideoFields(
            track='meta.object',
            video_from_folder=True,
            frame_from_file_name=True))
    assert forced['videos'] == by_folders['videos']


def image_of(content, name):
    return next(image for image in content['images']
                if image['file_name'] == name)


def break_missing_image(content):
    content['annotations'][3]['image_id'] = 999
    return r'annotations\[3\] \(id=103\) refers to image_id 999'


def break_duplicate_track_frame(content):
    content['annotations'].append(dict(content['annotations'][0], id=555))
    return (r'annotations\[6\] \(id=555\) and annotations\[0\] \(id=100\) '
            r'both give track 0 in image \d+')


def break_track_category(content):
    content['annotations'][2]['category_id'] = 8
    return (r'annotations\[2\] \(id=102\) gives track 0 the category 8, '
            r'but annotations\[0\] \(id=100\) gives it 3')


def break_frame_size(content):
    image_of(content, 'walk/frame_000001.jpg')['width'] = 33
    return (r'images\[\d\] \(id=\d+\) is 24x33 \(HxW\) but images\[\d\] '
            r"\(id=\d+\) of the same video 'walk' is 24x32")


def break_repeated_frame_index(content):
    for image in content['images']:
        image['video_id'], image['frame_id'] = 1, 0
    return r"images\[1\] \(id=11\) and images\[0\] \(id=10\) are both " \
        r"frame 0 of video 1"


def break_unknown_category(content):
    content['annotations'][0]['category_id'] = 42
    return r'annotations\[0\] \(id=100\) has the unknown category_id 42'


def break_track_id(content):
    del content['annotations'][4]['attributes']['track_id']
    return (r'annotations\[4\] \(id=104\) has no track id in '
            r'"attributes\.track_id"')


def break_polygon(content):
    content['annotations'][0]['segmentation'] = [[1, 1, 5, 5]]
    return (r'annotations\[0\] \(id=100\): the segmentation has a polygon '
            'that is not a flat list of at least 3')


def break_rle_size(content):
    content['annotations'][1]['segmentation']['size'] = [10, 10]
    return r'annotations\[1\] \(id=101\): the RLE is \[10, 10\] \(HxW\)'


def break_unlisted_video(content):
    for image in content['images']:
        image['video_id'] = 1 if image['file_name'].startswith('w') else 2
        image['frame_id'] = int(image['file_name'][-10:-4])
    content['videos'] = [dict(id=1)]
    return r"images\[3\] \(id=13\) refers to video_id 2, which is not in " \
        r'"videos"'


def break_empty_mask(content):
    content['annotations'][0]['segmentation'] = []
    return r'annotations\[0\] \(id=100\): the segmentation is an empty'


@pytest.mark.parametrize('break_input', [
    break_missing_image, break_duplicate_track_frame, break_track_category,
    break_frame_size, break_repeated_frame_index, break_unknown_category,
    break_track_id, break_polygon, break_rle_size, break_unlisted_video,
    break_empty_mask
])
def test_problems_name_the_file_and_the_entry(cvat_export, break_input):
    _, content = cvat_export
    content = copy.deepcopy(content)
    message = break_input(content)
    with pytest.raises(
            VISAnnotationError, match=r'^my_export\.json: ' + message):
        coco_video_to_ytvis(content, 'my_export.json')

import copy
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmseqformer.datasets.converters.ytvis_to_cocovid import (
    load_vis_annotations, official_to_cocovid)
from mmseqformer.datasets.ytvis_format import (VISAnnotationError,
                                               has_ground_truth,
                                               load_json_file)

H, W = 6, 8


def _mask(x0, y0, x1, y1):
    mask = np.zeros((H, W), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle['counts'] = rle['counts'].decode()
    return rle


def official_file():
    """Two videos, category ids 4 and 11 (not 1..K), one absent frame."""
    return dict(
        videos=[
            dict(
                id=10,
                width=W,
                height=H,
                file_names=['a/0.jpg', 'a/1.jpg', 'a/2.jpg']),
            dict(id=3, width=W, height=H, file_names=['b/0.jpg']),
        ],
        categories=[dict(id=11, name='cat'),
                    dict(id=4, name='dog')],
        annotations=[
            dict(
                id=1,
                video_id=10,
                category_id=11,
                iscrowd=0,
                segmentations=[
                    _rle(_mask(0, 0, 2, 2)), None,
                    _rle(_mask(1, 1, 4, 3))
                ]),
            dict(
                id=2,
                video_id=10,
                category_id=4,
                iscrowd=0,
                segmentations=[_rle(_mask(5, 2, 8, 6))] * 3),
            dict(
                id=3,
                video_id=3,
                category_id=4,
                iscrowd=0,
                segmentations=[_rle(_mask(0, 0, 8, 6))]),
        ])


def test_official_to_cocovid_keeps_masks_ids_and_absent_frames():
    official = official_file()
    cocovid = official_to_cocovid(copy.deepcopy(official), 'x.json')
    assert [v['id'] for v in cocovid['videos']] == [10, 3]
    assert [(im['video_id'], im['frame_id']) for im in cocovid['images']] == \
        [(10, 0), (10, 1), (10, 2), (3, 0)]
    anns = cocovid['annotations']
    # instance 1 is absent in frame 1: 2 + 3 + 1 frame annotations.
    assert len(anns) == 6
    images = {im['id']: im for im in cocovid['images']}
    by_instance = {}
    for ann in anns:
        by_instance.setdefault(ann['instance_id'],
                               []).append(images[ann['image_id']]['frame_id'])
    assert by_instance == {1: [0, 2], 2: [0, 1, 2], 3: [0]}
    assert {ann['category_id'] for ann in anns} == {4, 11}
    for ann in anns:
        source = official['annotations'][ann['instance_id'] - 1]
        frame_id = images[ann['image_id']]['frame_id']
        expected = mask_utils.decode(source['segmentations'][frame_id])
        np.testing.assert_array_equal(
            mask_utils.decode(ann['segmentation']), expected)
        ys, xs = np.nonzero(expected)
        assert ann['bbox'] == [
            xs.min(),
            ys.min(),
            xs.max() - xs.min() + 1,
            ys.max() - ys.min() + 1
        ]
        assert ann['area'] == expected.sum()


def test_polygons_and_uncompressed_rle_give_the_same_mask():
    official = official_file()
    polygon = [[1.0, 1.0, 4.0, 1.0, 4.0, 3.0, 1.0, 3.0]]
    mask = _mask(1, 1, 4, 3)
    # Uncompressed RLE: column-major run lengths starting with zeros.
    flat = np.asfortranarray(mask).ravel(order='F')
    counts, current, run = [], 0, 0
    for value in flat:
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    counts.append(run)
    official['annotations'][1]['segmentations'] = [
        polygon, dict(size=[H, W], counts=counts),
        _rle(mask)
    ]
    cocovid = official_to_cocovid(official, 'x.json')
    masks = [
        mask_utils.decode(ann['segmentation'])
        for ann in cocovid['annotations'] if ann['instance_id'] == 2
    ]
    np.testing.assert_array_equal(masks[1], mask)
    np.testing.assert_array_equal(masks[2], mask)
    # The polygon rasterises the same rectangle up to its border pixels.
    assert masks[0][2, 2] == 1 and masks[0][0, 6] == 0


def _write(tmp_path, content, name='ann.json'):
    path = tmp_path / name
    path.write_text(
        content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_invalid_json_names_file_and_place(tmp_path):
    path = _write(tmp_path, '{"videos": [\n  {"id": 1,}\n]}')
    with pytest.raises(VISAnnotationError, match=r'ann\.json.*line 2'):
        load_json_file(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.json'):
        load_vis_annotations(str(tmp_path / 'nothere.json'))


@pytest.mark.parametrize('edit, message', [
    (lambda d: d.pop('categories'), r'missing the required key "categories"'),
    (lambda d: d['videos'][1].pop('height'),
     r"videos\[1\] \(id=3\) lacks the required key\(s\) \['height'\]"),
    (lambda d: d['annotations'][2].update(category_id=7),
     r'annotations\[2\] \(id=3\) has the unknown category_id 7'),
    (lambda d: d['annotations'][0].update(video_id=99),
     r'annotations\[0\] \(id=1\) refers to video_id 99'),
    (lambda d: d['annotations'][0]['segmentations'].pop(),
     r'annotations\[0\] \(id=1\) has 2 "segmentations" but video 10 has 3'),
    (lambda d: d['annotations'][1]['segmentations'].__setitem__(0, 5),
     r'annotations\[1\] \(id=2\) frame 0: segmentation is neither'),
    (lambda d: d['videos'].append(dict(d['videos'][0])),
     r'videos\[2\] \(id=10\) repeats an id'),
])
def test_bad_official_file_names_the_entry(tmp_path, edit, message):
    content = official_file()
    edit(content)
    path = _write(tmp_path, content)
    with pytest.raises(VISAnnotationError, match=message) as info:
        load_vis_annotations(path)
    assert path in str(info.value)


@pytest.mark.parametrize('edit, message', [
    (lambda d: d['images'][0].pop('frame_id'),
     r"images\[0\] \(id=1\) lacks the required key\(s\) \['frame_id'\]"),
    (lambda d: d['annotations'][4].update(category_id=1),
     r'annotations\[4\] \(id=5\) has the unknown category_id 1'),
    (lambda d: d['annotations'][0].update(image_id=42),
     r'annotations\[0\] \(id=1\) refers to image_id 42'),
    (lambda d: d['images'][1].update(video_id=5),
     r'images\[1\] \(id=2\) refers to video_id 5'),
])
def test_bad_cocovid_file_names_the_entry(tmp_path, edit, message):
    content = official_to_cocovid(official_file(), 'x.json')
    edit(content)
    path = _write(tmp_path, content)
    with pytest.raises(VISAnnotationError, match=message):
        load_vis_annotations(path)


def test_cocovid_instance_ids_become_dense_and_start_at_one(tmp_path):
    content = official_to_cocovid(official_file(), 'x.json')
    # Ids reused across videos and an id 0 (mmdet would treat 0 as missing).
    for ann in content['annotations']:
        ann['instance_id'] = {1: 0, 2: 5, 3: 0}[ann['instance_id']]
    loaded = load_vis_annotations(_write(tmp_path, content))
    ids = [ann['instance_id'] for ann in loaded['annotations']]
    assert sorted(set(ids)) == [1, 2, 3]
    assert ids.count(ids[0]) == 2  # instance 1 keeps its two frames


@pytest.mark.parametrize('layout', ['official', 'cocovid'])
@pytest.mark.parametrize('missing', ['null', 'absent'])
def test_split_without_ground_truth_loads_its_frames(tmp_path, layout,
                                                     missing):
    # As the official YouTube-VIS valid.json: "annotations": null.
    content = official_file()
    if layout == 'cocovid':
        content = official_to_cocovid(content, 'x.json')
    if missing == 'null':
        content['annotations'] = None
    else:
        del content['annotations']
    loaded = load_vis_annotations(_write(tmp_path, content))
    assert loaded['annotations'] == [] and not has_ground_truth(loaded)
    assert [(im['video_id'], im['frame_id']) for im in loaded['images']] == \
        [(10, 0), (10, 1), (10, 2), (3, 0)]


def test_has_ground_truth_of_an_annotated_file(tmp_path):
    assert has_ground_truth(
        load_vis_annotations(_write(tmp_path, official_file())))


@pytest.mark.parametrize('key', ['videos', 'categories'])
def test_null_required_list_is_refused(tmp_path, key):
    content = official_file()
    content[key] = None
    path = _write(tmp_path, content)
    with pytest.raises(
            VISAnnotationError, match=f'ann.json: "{key}" must be a list'):
        load_vis_annotations(path)


def test_file_without_videos_is_refused(tmp_path):
    content = official_file()
    content['videos'] = []
    with pytest.raises(
            VISAnnotationError, match=r'ann\.json: "videos" is empty'):
        load_vis_annotations(_write(tmp_path, content))

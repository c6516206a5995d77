"""Folders of instance-id PNGs <-> YouTube-VIS, both ways."""
import json
import os

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
from PIL import Image

from mmseqformer.datasets import VISAnnotationError, YouTubeVISFormatDataset
# yapf: disable  (isort lays out this import)
from mmseqformer.datasets.converters import (MAPPING_FILE,
                                             instance_pngs_to_ytvis,
                                             parse_instance_mapping,
                                             read_instance_png,
                                             write_instance_png,
                                             ytvis_to_instance_pngs)
# yapf: enable
from tests.test_datasets.dataset_views import dataset_instances, write_json

CATEGORIES = [dict(id=1, name='bear'), dict(id=2, name='person')]


def bear_frames():
    """Two instances; the second leaves in frame 1 and comes back."""
    frames = np.zeros((3, 16, 20), dtype=np.int64)
    for t in range(3):
        frames[t, 2:8, 2 + t:9 + t] = 1
    frames[0, 10:15, 12:18] = 2
    frames[2, 11:16, 10:16] = 2
    return frames


def crowd_frames():
    """300 instances of a few pixels each: a 16-bit PNG."""
    ids = np.arange(1, 301).repeat(1)
    frame = np.zeros(400, dtype=np.int64)
    frame[:300] = ids
    return np.stack([frame.reshape(20, 20), np.roll(frame, 7).reshape(20, 20)])


def save_png(path, id_map, mode):
    if mode == 'gray':  # 8-bit grayscale, as some VOS tools write
        Image.fromarray(id_map.astype(np.uint8)).save(path)
    else:
        write_instance_png(path, id_map)


@pytest.fixture
def vos_dataset(tmp_path):
    """DAVIS-style annotations: palette PNGs (bear), 16-bit PNGs (crowd),
    grayscale PNGs (gray); JPEG frames with the same names, one of them
    without a PNG; a mapping with a global and a per-video part."""
    png_root, frames_root = tmp_path / 'Annotations', tmp_path / 'JPEGImages'
    videos = dict(
        bear=(bear_frames(), 'palette'),
        crowd=(crowd_frames(), 'palette'),
        gray=(bear_frames()[:2].clip(0, 1), 'gray'))
    for video, (frames, mode) in videos.items():
        (png_root / video).mkdir(parents=True)
        (frames_root / video).mkdir(parents=True)
        for t, id_map in enumerate(frames):
            save_png(str(png_root / video / f'{5 * t:05d}.png'), id_map, mode)
            cv2.imwrite(
                str(frames_root / video / f'{5 * t:05d}.jpg'),
                np.full((*id_map.shape, 3), 100, np.uint8))
    # A frame without annotation is not part of the dataset.
    cv2.imwrite(
        str(frames_root / 'bear' / '00001.jpg'), np.zeros((16, 20, 3),
                                                          np.uint8))
    mapping = dict(
        categories=CATEGORIES,
        instances={
            '1': 'bear',
            '2': 'person'
        },
        videos=dict(crowd={str(i): 2
                           for i in range(1, 301)}))
    return str(png_root), str(frames_root), mapping, videos


def png_maps(png_root):
    """Every PNG of a PNG root: relative path -> ids."""
    return {
        f'{video}/{name}':
        read_instance_png(os.path.join(png_root, video, name))
        for video in sorted(os.listdir(png_root))
        if os.path.isdir(os.path.join(png_root, video))
        for name in sorted(os.listdir(os.path.join(png_root, video)))
    }


def load_dataset(ann_file, frames_root):
    return YouTubeVISFormatDataset(
        ann_file=ann_file,
        data_prefix=dict(img_path=frames_root),
        pipeline=[],
        test_mode=True)


def test_pngs_convert_load_and_come_back(vos_dataset, tmp_path):
    png_root, frames_root, mapping_json, videos = vos_dataset
    mapping = parse_instance_mapping(mapping_json, 'mapping.json')
    ytvis = instance_pngs_to_ytvis(png_root, frames_root, mapping)
    assert [(v['id'], v['file_names'], v['height'], v['width'])
            for v in ytvis['videos']] == [
                (1, ['bear/00000.jpg', 'bear/00005.jpg',
                     'bear/00010.jpg'], 16, 20),
                (2, ['crowd/00000.jpg', 'crowd/00005.jpg'], 20, 20),
                (3, ['gray/00000.jpg', 'gray/00005.jpg'], 16, 20),
            ]
    anns = ytvis['annotations']
    assert len(anns) == 2 + 300 + 1
    bear, person = anns[:2]
    assert (bear['category_id'], person['category_id']) == (1, 2)
    assert person['segmentations'][1] is None  # absent from frame 1
    np.testing.assert_array_equal(
        mask_utils.decode(person['segmentations'][2]),
        bear_frames()[2] == 2)
    assert {ann['category_id'] for ann in anns[2:302]} == {2}  # per video
    assert anns[302]['category_id'] == 1  # global map
    dataset = load_dataset(
        write_json(tmp_path / 'ytvis.json', ytvis), frames_root)
    instances = dataset_instances(dataset)
    assert [len(frame[1]) for frame in instances[1]] == [2, 1, 2]
    assert sum(len(frame[1]) for frame in instances[2]) == 600
    # Back to PNGs: the same ids in every pixel of every frame.
    out = str(tmp_path / 'pngs')
    summary = ytvis_to_instance_pngs(ytvis, 'ytvis.json', out)
    assert summary == dict(
        videos=3,
        frames=7,
        instances=303,
        overlapping_pixels=0,
        crowd_instances=0,
        empty_instances=0)
    original, written = png_maps(png_root), png_maps(out)
    assert written.keys() == original.keys()
    for name in original:
        np.testing.assert_array_equal(written[name], original[name])
    with Image.open(os.path.join(out, 'crowd/00000.png')) as image:
        assert image.mode.startswith('I')  # 16-bit, as the input
    # The written mapping means the same and converts to the same file.
    written_mapping = parse_instance_mapping(
        json.load(open(os.path.join(out, MAPPING_FILE))), MAPPING_FILE)
    for video, (frames, _) in videos.items():
        for instance_id in np.unique(frames[frames > 0]):
            assert written_mapping.category_of(video, instance_id) == \
                mapping.category_of(video, instance_id)
    again = instance_pngs_to_ytvis(out, frames_root, written_mapping)
    assert again['videos'] == ytvis['videos']
    assert again['annotations'] == ytvis['annotations']


def test_youtube_vis_round_trips_through_pngs(synthetic_root, tmp_path):
    ann_file = os.path.join(synthetic_root, 'train.json')
    frames_root = os.path.join(synthetic_root, 'train/JPEGImages')
    official = json.load(open(ann_file))
    out = str(tmp_path / 'pngs')
    summary = ytvis_to_instance_pngs(official, ann_file, out)
    assert summary['videos'] == len(official['videos'])
    mapping = parse_instance_mapping(
        json.load(open(os.path.join(out, MAPPING_FILE))), MAPPING_FILE)
    back = instance_pngs_to_ytvis(out, frames_root, mapping)
    assert back['videos'] == official['videos']
    assert back['annotations'] == official['annotations']
    converted = load_dataset(
        write_json(tmp_path / 'back.json', back), frames_root)
    assert dataset_instances(converted) == dataset_instances(
        load_dataset(ann_file, frames_root))


def encode(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def test_overlapping_instances_show_the_later_one(tmp_path):
    first, second = np.zeros((2, 8, 8), dtype=bool)
    first[1:5, 1:5] = True
    second[3:7, 3:7] = True
    official = dict(
        videos=[
            dict(id=4, height=8, width=8, file_names=['v/0.jpg', 'v/1.jpg'])
        ],
        annotations=[
            dict(
                id=1,
                video_id=4,
                category_id=1,
                segmentations=[encode(first), encode(first)]),
            dict(
                id=2,
                video_id=4,
                category_id=2,
                iscrowd=1,
                segmentations=[encode(second), None]),
            dict(id=3, video_id=4, category_id=2, segmentations=[None, None]),
        ],
        categories=CATEGORIES)
    summary = ytvis_to_instance_pngs(official, 'two.json',
                                     str(tmp_path / 'out'))
    assert summary['overlapping_pixels'] == 4
    assert summary['crowd_instances'] == 1
    assert summary['empty_instances'] == 1 and summary['instances'] == 2
    frame_0 = read_instance_png(str(tmp_path / 'out/v/0.png'))
    expected = np.where(second, 2, np.where(first, 1, 0))
    np.testing.assert_array_equal(frame_0, expected)
    np.testing.assert_array_equal(
        read_instance_png(str(tmp_path / 'out/v/1.png')), first.astype(int))
    assert json.load(open(tmp_path / 'out' / MAPPING_FILE))['video_ids'] == \
        dict(v=4)


def remove_frame(png_root, frames_root, mapping):
    os.remove(os.path.join(frames_root, 'bear/00005.jpg'))
    return r'bear/00005\.png: no frame 00005\.\* in .*JPEGImages/bear'


def frame_of_other_size(png_root, frames_root, mapping):
    cv2.imwrite(
        os.path.join(frames_root, 'gray/00005.jpg'),
        np.zeros((16, 21, 3), np.uint8))
    return (r'gray/00005\.png is 16x20 \(HxW\) but its frame .*gray/'
            r'00005\.jpg is 16x21')


def png_of_other_size(png_root, frames_root, mapping):
    write_instance_png(
        os.path.join(png_root, 'bear/00010.png'), np.zeros((16, 21), int))
    return r'bear/00010\.png is 16x21 \(HxW\) but .*bear/00000\.png is 16x20'


def unmapped_id(png_root, frames_root, mapping):
    del mapping['instances']['2']
    return r'bear/00000\.png: instance id 2 of video "bear" has no category ' \
        r'in mapping\.json'


def colour_png(png_root, frames_root, mapping):
    Image.fromarray(np.zeros(
        (16, 20, 3), np.uint8)).save(os.path.join(png_root, 'gray/00000.png'))
    return r'gray/00000\.png: an instance-id PNG has one channel'


def unknown_category(png_root, frames_root, mapping):
    mapping['videos']['crowd']['7'] = 'dgo'
    return r'mapping\.json: "videos"\["crowd"\]\["7"\]: unknown category ' \
        r'"dgo"'


def unknown_video(png_root, frames_root, mapping):
    mapping['videos']['craud'] = mapping['videos'].pop('crowd')
    return r'mapping\.json: names the video "craud", which is not a folder'


def video_without_frames(png_root, frames_root, mapping):
    os.rename(
        os.path.join(frames_root, 'gray'), os.path.join(frames_root, 'grey'))
    return r'JPEGImages/gray: no frame folder for video "gray"'


@pytest.mark.parametrize('break_input', [
    remove_frame, frame_of_other_size, png_of_other_size, unmapped_id,
    colour_png, unknown_category, unknown_video, video_without_frames
])
def test_problems_name_the_file_and_the_entry(vos_dataset, break_input):
    png_root, frames_root, mapping, _ = vos_dataset
    message = break_input(png_root, frames_root, mapping)
    with pytest.raises(ValueError, match=message):
        instance_pngs_to_ytvis(png_root, frames_root,
                               parse_instance_mapping(mapping, 'mapping.json'))


def test_mapping_short_form_and_default_categories():
    mapping = parse_instance_mapping({'1': 'zebra', '2': 'ant'}, 'm.json')
    assert mapping.categories == [
        dict(id=1, name='ant'),
        dict(id=2, name='zebra')
    ]
    assert (mapping.category_of('any', 1), mapping.category_of('any', 2),
            mapping.category_of('any', 3)) == (2, 1, None)
    with pytest.raises(VISAnnotationError, match=r'm\.json: unknown key'):
        parse_instance_mapping({'instance': {'1': 'a'}}, 'm.json')
    with pytest.raises(
            VISAnnotationError,
            match=r'm\.json: "instances": the key "0" is not'):
        parse_instance_mapping({'instances': {'0': 'a'}}, 'm.json')
    with pytest.raises(VISAnnotationError, match='needs a "categories"'):
        parse_instance_mapping({'instances': {'1': 3}}, 'm.json')


def test_an_existing_folder_of_other_files_is_not_replaced(
        synthetic_root, tmp_path):
    (tmp_path / 'mine').mkdir()
    (tmp_path / 'mine' / 'notes.txt').write_text('keep me')
    ann_file = os.path.join(synthetic_root, 'valid.json')
    with pytest.raises(FileExistsError, match='mine is a folder with other'):
        ytvis_to_instance_pngs(
            json.load(open(ann_file)), ann_file, str(tmp_path / 'mine'))
    assert os.listdir(tmp_path / 'mine') == ['notes.txt']

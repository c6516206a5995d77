"""Instance-id PNGs (one file format, one overlap rule) and the atomic
folder writer that every writer of them uses."""
import os
import sys

import numpy as np
import pytest
from PIL import Image

from mmseqformer.datasets.converters import (compose_instance_id_map,
                                             count_overlapping_pixels,
                                             instance_png_name,
                                             read_instance_png,
                                             write_instance_png)
from mmseqformer.testing import kill_when_ready
from mmseqformer.utils import atomic_output_folder


def random_id_map(max_id, shape=(6, 7), seed=0):
    rng = np.random.default_rng(seed)
    id_map = rng.integers(0, max_id + 1, shape)
    id_map.flat[0] = max_id  # the largest id occurs
    return id_map


def test_ids_up_to_255_make_an_8bit_palette_png(tmp_path):
    path = str(tmp_path / 'a.png')
    id_map = random_id_map(255)
    write_instance_png(path, id_map)
    with Image.open(path) as image:
        assert image.mode == 'P'
        # Each id its own colour, background black (as DAVIS).
        palette = np.array(image.getpalette()[:3 * 256]).reshape(256, 3)
    assert (palette[0] == 0).all() and len(np.unique(palette, axis=0)) == 256
    np.testing.assert_array_equal(read_instance_png(path), id_map)


def test_larger_ids_make_a_16bit_png_for_every_frame_of_the_video(tmp_path):
    path = str(tmp_path / 'b.png')
    id_map = random_id_map(40000)
    write_instance_png(path, id_map)
    np.testing.assert_array_equal(read_instance_png(path), id_map)
    # A frame of a video whose largest id is 300 holds only small ids but
    # is still 16-bit, so the video has one format.
    small = str(tmp_path / 'c.png')
    write_instance_png(small, random_id_map(3), max_id=300)
    with Image.open(small) as image, Image.open(path) as other:
        assert image.mode == other.mode != 'P'
    np.testing.assert_array_equal(read_instance_png(small), random_id_map(3))
    with pytest.raises(ValueError, match=r'd\.png: id 70000 does not fit'):
        write_instance_png(str(tmp_path / 'd.png'), random_id_map(70000))


def test_grayscale_pngs_are_read_and_colour_pngs_refused(tmp_path):
    gray = str(tmp_path / 'gray.png')
    Image.fromarray(random_id_map(9).astype(np.uint8)).save(gray)
    np.testing.assert_array_equal(read_instance_png(gray), random_id_map(9))
    colour = str(tmp_path / 'colour.png')
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(colour)
    with pytest.raises(ValueError, match=r'colour\.png: .* this one is RGB'):
        read_instance_png(colour)
    jpeg = str(tmp_path / 'frame.jpg')
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(jpeg)
    with pytest.raises(ValueError, match=r'frame\.jpg: not a PNG'):
        read_instance_png(jpeg)


def test_png_names_follow_frame_names_and_indices():
    assert instance_png_name('vid/00005.jpg') == 'vid/00005.png'
    assert instance_png_name(7) == '00007.png'


def test_higher_priority_is_on_top_else_the_later_instance():
    masks = np.zeros((3, 1, 4), dtype=bool)
    masks[0, 0, 0:3] = True
    masks[1, 0, 1:4] = True
    masks[2, 0, 2:3] = True
    ids = [5, 6, 7]
    # Without priorities: later on top.
    assert compose_instance_id_map(masks, ids).tolist() == [[5, 6, 7, 6]]
    # The first instance scores highest: it covers the others.
    assert compose_instance_id_map(masks, ids,
                                   [0.9, 0.5, 0.7]).tolist() == [[5, 5, 5, 6]]
    # Equal scores: the given order decides, later on top.
    assert compose_instance_id_map(masks, ids,
                                   [0.5, 0.5, 0.5]).tolist() == [[5, 6, 7, 6]]
    assert count_overlapping_pixels(masks) == 2
    with pytest.raises(ValueError, match='>= 1'):
        compose_instance_id_map(masks, [0, 1, 2])


def listing(folder):
    return sorted(os.listdir(folder))


def test_a_failed_write_leaves_the_old_folder_and_no_leftovers(tmp_path):
    out = str(tmp_path / 'masks')
    with atomic_output_folder(out, 'index.json') as tmp_dir:
        assert not os.path.exists(out)  # nothing final before the end
        for name in ('index.json', '00000.png'):
            open(os.path.join(tmp_dir, name), 'w').write('old')
    assert listing(out) == ['00000.png', 'index.json']
    with pytest.raises(RuntimeError):
        with atomic_output_folder(out, 'index.json') as tmp_dir:
            open(os.path.join(tmp_dir, 'index.json'), 'w').write('new')
            raise RuntimeError('killed in the middle')
    assert listing(out) == ['00000.png', 'index.json']
    assert open(os.path.join(out, 'index.json')).read() == 'old'
    assert listing(tmp_path) == ['masks']
    # An earlier output is replaced as a whole.
    with atomic_output_folder(out, 'index.json') as tmp_dir:
        open(os.path.join(tmp_dir, 'index.json'), 'w').write('new')
    assert listing(out) == ['index.json'] and listing(tmp_path) == ['masks']


def test_a_folder_that_is_not_an_earlier_output_is_never_replaced(tmp_path):
    photos = tmp_path / 'photos'
    photos.mkdir()
    (photos / 'holiday.jpg').write_text('x')
    with pytest.raises(FileExistsError, match='photos is a folder with other'):
        with atomic_output_folder(str(photos), 'index.json'):
            pass
    assert listing(photos) == ['holiday.jpg']
    (tmp_path / 'file').write_text('x')
    with pytest.raises(FileExistsError, match='not a folder'):
        with atomic_output_folder(str(tmp_path / 'file'), 'index.json'):
            pass


KILLED_WRITER = '''
import os, sys, time
from mmseqformer.utils import atomic_output_folder
with atomic_output_folder(sys.argv[1], 'index.json') as tmp_dir:
    for index in range(3):
        open(os.path.join(tmp_dir, f'{index:05d}.png'), 'w').write('new')
    print('READY writing the folder', flush=True)
    time.sleep(60)
'''


@pytest.mark.slow
def test_a_killed_writer_leaves_the_old_folder_and_hidden_leftovers(tmp_path):
    out = str(tmp_path / 'masks')
    with atomic_output_folder(out, 'index.json') as tmp_dir:
        open(os.path.join(tmp_dir, 'index.json'), 'w').write('old')
    kill_when_ready([sys.executable, '-c', KILLED_WRITER, out],
                    'writing the folder')
    assert listing(out) == ['index.json']
    leftovers = [name for name in listing(tmp_path) if name != 'masks']
    assert len(leftovers) == 1 and leftovers[0].startswith('.masks.')
    # The next write removes the leftover.
    with atomic_output_folder(out, 'index.json') as tmp_dir:
        open(os.path.join(tmp_dir, 'index.json'), 'w').write('new')
    assert listing(tmp_path) == ['masks']

"""mmseqformer.benchmark.mode_comparison and annotated_sets: inputs
checked before any run, category ids by class name, set names."""
import os.path as osp

import pytest

from mmseqformer.benchmark.annotated_sets import label_category_ids, set_names
from mmseqformer.benchmark.mode_comparison import check_inputs
from mmseqformer.testing import TINY_CONFIG


def test_category_ids_by_class_name():
    categories = [dict(id=9, name='triangle'), dict(id=2, name='ellipse')]
    assert label_category_ids(['ellipse', 'triangle'], categories,
                              'a.json') == [2, 9]
    assert label_category_ids(None, categories, 'a.json') == [2, 9]
    with pytest.raises(ValueError, match="a.json: no category named 'box'"):
        label_category_ids(['ellipse', 'box'], categories, 'a.json')


def test_set_names_are_numbered_where_they_repeat():
    assert set_names(['a/valid.json', 'b/valid.json',
                      'c/long.json']) == ['valid_0', 'valid_1', 'long']


def settings(**given) -> dict:
    return dict(
        dict(
            config=TINY_CONFIG,
            checkpoint=TINY_CONFIG,
            ann=[],
            img_root=[],
            video=None,
            modes=['online']), **given)


def test_inputs_are_checked_before_any_run(synthetic_root, tmp_path):
    ann = osp.join(synthetic_root, 'valid.json')
    frames = osp.join(synthetic_root, 'valid', 'JPEGImages')
    with pytest.raises(ValueError, match='one --img-root per --ann'):
        check_inputs(settings(ann=[ann]))
    with pytest.raises(ValueError, match=r'frame 0: .*does not exist'):
        check_inputs(settings(ann=[ann], img_root=[str(tmp_path)]))
    with pytest.raises(ValueError, match='not both'):
        check_inputs(settings(ann=[ann], img_root=[frames], video=ann))
    with pytest.raises(ValueError, match="mode 'clips:0:x'"):
        check_inputs(settings(video=ann, modes=['clips:0:x']))
    with pytest.raises(FileNotFoundError, match='x: checkpoint not found'):
        check_inputs(settings(video=ann, checkpoint='x'))
    # The video's reference, offline, comes first.
    specs, datasets = check_inputs(settings(video=ann))
    assert [spec.label for spec in specs] == ['offline', 'online']
    assert datasets == []
    specs, datasets = check_inputs(settings(ann=[ann], img_root=[frames]))
    assert [spec.label for spec in specs] == ['online']
    assert [dataset.name for dataset in datasets] == ['valid']
    assert datasets[0].num_frames == sum(
        len(paths) for _, _, paths in datasets[0].videos) > 0

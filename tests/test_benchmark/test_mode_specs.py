"""mmseqformer.benchmark.mode_specs: modes as written on a command line."""
import pytest

from mmseqformer.benchmark.mode_specs import parse_mode_spec
from mmseqformer.models.vis import mode_option_names


def test_mode_specs():
    assert parse_mode_spec('online').options == {}
    assert parse_mode_spec('window:8').options == dict(window=8)
    assert parse_mode_spec('clips:5:2').options == dict(
        clip_length=5, overlap=2)
    assert parse_mode_spec('window:8:similarity_thr=0.3').options == dict(
        window=8, similarity_thr=0.3)
    assert parse_mode_spec('offline:none').options == dict(chunk_size=None)
    assert parse_mode_spec('online:soft_duplicates=False').options == dict(
        soft_duplicates=False)
    assert parse_mode_spec('window:4:soft_duplicates=true').options == dict(
        window=4, soft_duplicates=True)
    assert parse_mode_spec('clips:5:2').file_stem == 'clips-5-2'


@pytest.mark.parametrize('label, message', [
    ('windows:8', "'windows' is not one of"),
    ('online:3', 'needs a name'),
    ('window:8:stride=2', "no option 'stride'.*max_lost"),
    ('clips:x', "'x' is not a number, true, false or none"),
    ('window:8:window=4', 'given twice'),
    ('offline:num_frames=3', "no option 'num_frames'"),
])
def test_bad_mode_specs_are_named(label, message):
    with pytest.raises(ValueError, match=f"mode '{label}': .*{message}"):
        parse_mode_spec(label)


def test_options_are_the_inference_class_arguments():
    assert mode_option_names('offline') == ['chunk_size']
    assert mode_option_names('window')[0] == 'window'
    for mode in ('offline', 'online', 'window', 'clips'):
        # build_video_inference passes these itself.
        assert not {'model', 'num_frames', 'amp'} & set(
            mode_option_names(mode))

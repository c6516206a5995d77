"""A user's mistake is a :class:`UserInputError` naming the file, raised
where the library's readers first touch it; the tools turn it into one
``error:`` line (:func:`report_user_errors`), any other exception keeps its
traceback."""
import json
import pickle
import re

import pytest

from mmseqformer.apis.video_source import (FrameFolderError, VideoInputError,
                                           open_video_source)
from mmseqformer.benchmark.official_code import check_official_checkout
from mmseqformer.datasets.converters import read_instance_png
from mmseqformer.datasets.ytvis_format import (VISAnnotationError,
                                               load_json_file)
from mmseqformer.install_check import MissingCudaOpsError
from mmseqformer.utils import (CheckpointMismatchError, ConfigError,
                               ConfigNotFoundError, InputFormatError,
                               InputNotFoundError, UserInputError,
                               read_checkpoint, read_config, read_torch_file,
                               report_user_errors)
from mmseqformer.utils.checkpoint_fit import (CheckpointNotFoundError,
                                              LoadFromNotFoundError)


def test_the_message_is_file_then_what():
    error = UserInputError('a.json', 'not valid JSON')
    assert str(error) == 'a.json: not valid JSON'
    assert (error.path, error.what) == ('a.json', 'not valid JSON')
    whole = UserInputError('a.json is broken')
    assert str(whole) == 'a.json is broken' and whole.path is None


def test_the_kinds_keep_the_builtin_bases():
    missing = InputNotFoundError('x.mp4', 'no such video file')
    assert isinstance(missing, FileNotFoundError)
    assert str(missing) == 'x.mp4: no such video file'  # no [Errno ...]
    assert isinstance(InputFormatError('x', 'y'), ValueError)
    for error in (missing, InputFormatError('x', 'y')):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)


@pytest.mark.parametrize('error_type', [
    ConfigNotFoundError, ConfigError, CheckpointMismatchError,
    CheckpointNotFoundError, LoadFromNotFoundError, VISAnnotationError,
    VideoInputError, FrameFolderError
])
def test_the_library_errors_of_user_input_are_user_errors(error_type):
    assert issubclass(error_type, UserInputError)


def test_a_user_error_becomes_one_line_and_exit():
    with pytest.raises(SystemExit) as info:
        with report_user_errors():
            raise InputFormatError('in.json', 'not valid JSON')
    assert info.value.code == 'error: in.json: not valid JSON'
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(SystemExit, match='^error: mmcv was compiled'):
        with report_user_errors():
            raise MissingCudaOpsError('mmcv was compiled without CUDA ops')


def test_a_bug_keeps_its_traceback():
    with pytest.raises(ValueError, match='a bug'):
        with report_user_errors():
            raise ValueError('a bug')
    with pytest.raises(FileExistsError):
        with report_user_errors():
            raise FileExistsError('out')


def test_it_decorates_and_takes_more_types():

    @report_user_errors(FileExistsError)
    def main(error):
        raise error

    for _ in range(2):  # a fresh context at every call
        with pytest.raises(SystemExit, match='^error: out: exists$'):
            main(FileExistsError('out: exists'))
    with pytest.raises(KeyError):
        main(KeyError('bug'))


def test_config_reader_names_the_file(tmp_path):
    with pytest.raises(ConfigNotFoundError, match=': config not found '):
        read_config(str(tmp_path / 'nope.py'))
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(\n')
    with pytest.raises(ConfigError) as info:
        read_config(str(broken))
    assert str(info.value).startswith(f'{broken}: cannot read this config: '
                                      'syntax error at line 1')
    assert '\n' not in str(info.value)
    failing = tmp_path / 'failing.py'
    failing.write_text('x = undefined_name\n')
    with pytest.raises(ConfigError, match='NameError'):
        read_config(str(failing))
    missing_base = tmp_path / 'child.py'
    missing_base.write_text("_base_ = ['./no_base.py']\n")
    with pytest.raises(ConfigError, match=re.escape(str(missing_base))):
        read_config(str(missing_base))
    good = tmp_path / 'good.py'
    good.write_text('x = 1\n')
    assert read_config(str(good)).x == 1


def test_checkpoint_reader_names_the_file(tmp_path):
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(CheckpointMismatchError) as info:
        read_checkpoint(str(empty))
    assert str(info.value) == (f'{empty} is not a checkpoint torch can read '
                               '(the file is empty: 0 bytes)')
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint\nat all\n')
    with pytest.raises(CheckpointMismatchError) as info:
        read_checkpoint(str(text))
    assert str(
        info.value).startswith(f'{text} is not a checkpoint torch can read (')
    assert '\n' not in str(info.value)
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match=': checkpoint not found'):
        read_checkpoint(missing)
    with pytest.raises(UserInputError, match='frames file not found'):
        read_torch_file(missing, what='frames file')


def test_annotation_reader_names_the_file(tmp_path):
    not_json = tmp_path / 'ann.json'
    not_json.write_text('this is not JSON')
    with pytest.raises(
            VISAnnotationError,
            match=f'^{re.escape(str(not_json))}: not valid'):
        load_json_file(str(not_json))
    with pytest.raises(InputNotFoundError) as info:
        load_json_file(str(tmp_path / 'nothere.json'))
    assert str(info.value) == (f'{tmp_path / "nothere.json"}: no such '
                               'annotation file')
    with pytest.raises(VISAnnotationError, match='a folder, not the'):
        load_json_file(str(tmp_path))
    listed = tmp_path / 'list.json'
    listed.write_text(json.dumps([1, 2]))
    with pytest.raises(VISAnnotationError, match='the top level must be'):
        load_json_file(str(listed))


def test_instance_png_reader_names_the_file(tmp_path):
    text = tmp_path / '00000.png'
    text.write_text('not a png')
    with pytest.raises(
            InputFormatError,
            match=f'^{re.escape(str(text))}: cannot be read'):
        read_instance_png(str(text))
    with pytest.raises(InputNotFoundError, match='no such PNG'):
        read_instance_png(str(tmp_path / 'none.png'))


def test_video_reader_names_the_file(tmp_path):
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    with pytest.raises(VideoInputError) as info:
        open_video_source(str(empty))
    assert str(info.value) == (f'{empty}: the file is empty (0 bytes), not '
                               'a video')
    text = tmp_path / 'notes.mp4'
    text.write_text('not a video\n' * 100)
    with pytest.raises(
            VideoInputError,
            match=f'^{re.escape(str(text))}: OpenCV cannot open'):
        open_video_source(str(text))
    with pytest.raises(InputNotFoundError, match='no such video file'):
        open_video_source(str(tmp_path / 'none.mp4'))
    other = tmp_path / 'clip.txt'
    other.write_text('x')
    with pytest.raises(VideoInputError, match='not a video file'):
        open_video_source(str(other))
    no_frames = tmp_path / 'no_frames'
    no_frames.mkdir()
    with pytest.raises(
            VideoInputError, match=f'^{re.escape(str(no_frames))}: no image'):
        open_video_source(str(no_frames))
    frames = tmp_path / 'frames'
    frames.mkdir()
    (frames / '00000.jpg').write_bytes(b'')
    with pytest.raises(FrameFolderError, match='is empty'):
        open_video_source(str(frames))


def test_official_checkout_check_names_the_folder(tmp_path):
    with pytest.raises(InputNotFoundError) as info:
        check_official_checkout(str(tmp_path))
    assert str(info.value) == (f'{tmp_path}: not an official SeqFormer '
                               'checkout (no models/seqformer.py)')

"""Configs by name (:mod:`mmseqformer.utils.config_lookup`)."""
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmseqformer.testing import REPO_ROOT
from mmseqformer.utils import ConfigNotFoundError, find_config
from mmseqformer.utils.config_lookup import (shipped_configs,
                                             shipped_configs_dir)


def test_names_are_unique_and_skip_base_files():
    root = shipped_configs_dir()
    assert osp.samefile(root, osp.join(REPO_ROOT, 'configs'))
    configs = shipped_configs()
    files = [
        osp.join(folder, name) for folder, _, names in os.walk(root)
        for name in names if name.endswith('.py')
        and '_base_' not in osp.relpath(folder, root).split(osp.sep)
    ]
    # A name that two configs shared would silently resolve to one of them.
    assert sorted(configs.values()) == sorted(files)
    assert 'seqformer_r50' in configs
    assert not any(name.startswith('youtube_vis') for name in configs)


def test_a_name_a_file_and_a_repo_path_resolve(tmp_path, monkeypatch):
    expected = osp.join(shipped_configs_dir(), 'seqformer_r50.py')
    monkeypatch.chdir(tmp_path)  # outside the checkout
    assert osp.samefile(find_config('seqformer_r50'), expected)
    assert osp.samefile(find_config('seqformer_r50.py'), expected)
    assert osp.samefile(find_config('configs/seqformer_r50.py'), expected)
    nested = 'configs/seqformer/seqformer_r50_8xb2-12e_youtubevis2019.py'
    assert find_config(nested).endswith(nested[len('configs'):])
    assert find_config('seqformer_r50_8xb2-12e_youtubevis2019') == \
        find_config(nested)
    own = tmp_path / 'mine.py'
    own.write_text("_base_ = []\nx = 1\n")
    assert find_config(str(own)) == str(own)
    assert find_config('mine.py') == 'mine.py'  # a file here wins
    assert Config.fromfile(find_config('seqformer_r50')).model.type == \
        'SeqFormer'


@pytest.mark.parametrize('config', [
    'seqformer_r5', 'configs/seqformer/nope.py', 'elsewhere/seqformer_r50.py'
])
def test_unknown_configs_are_refused_with_close_names(config):
    with pytest.raises(ConfigNotFoundError, match='config not found') as err:
        find_config(config)
    assert config in str(err.value)
    if config == 'seqformer_r5':
        assert 'did you mean seqformer_r50' in str(err.value)

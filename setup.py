"""Package metadata lives in setup.cfg, as in other OpenMMLab projects.

This file adds one step to the build: the configs and model-index.yml are
copied into the package as ``mmseqformer/.mim/`` (as mmdet ships
``mmdet/.mim/configs``), so that an installed wheel can build every model
by config name (:func:`mmseqformer.utils.find_config`) and ``mim search``
finds them. An editable install links them there instead.
"""
import os
import os.path as osp
import shutil
from setuptools import setup
from setuptools.command.build_py import build_py

#: What the wheel carries under mmseqformer/.mim/, relative to the repo.
MIM_FILES = ('configs', 'model-index.yml')


class BuildPyWithConfigs(build_py):
    """``build_py`` that also copies :data:`MIM_FILES` into the package."""

    def run(self) -> None:
        super().run()
        repo = osp.dirname(osp.abspath(__file__))
        if getattr(self, 'editable_mode', False):
            link_into_checkout(repo)
            return
        mim = osp.join(self.build_lib, 'mmseqformer', '.mim')
        for name in MIM_FILES:
            src, dst = osp.join(repo, name), osp.join(mim, name)
            if osp.isdir(src):
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(
                    src,
                    dst,
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            elif osp.isfile(src):
                self.mkpath(mim)
                shutil.copyfile(src, dst)


def link_into_checkout(repo: str) -> None:
    """An editable install: ``mmseqformer/.mim/`` of the checkout links to
    :data:`MIM_FILES` (as mmdet's develop mode does), so that ``mim``
    finds model-index.yml where it looks for an installed package's."""
    mim = osp.join(repo, 'mmseqformer', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        link = osp.join(mim, name)
        if not osp.lexists(link):
            os.symlink(osp.join('..', '..', name), link)


setup(cmdclass={'build_py': BuildPyWithConfigs})

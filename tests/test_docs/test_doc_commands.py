"""The user docs stay honest: what README.md and docs/ tell a user to run or
open exists and works.

* every ``python tools/X.py`` command names a script that answers
  ``--help`` with exit 0 (run from the repository root, as a user would);
* every config path they name exists, loads with ``Config.fromfile`` and,
  unless it is a ``_base_`` fragment, builds its model;
* every relative markdown link leads to a file or folder.

Exempt are the commands that need more than a checkout: the shell launchers
(``bash tools/dist_train.sh``, ``GPUS=8 ... slurm_train.sh``), ``srun``,
``sbatch``, ``torchrun`` and the package managers (``pip``, ``mim``). A
failure names the doc lines that hold the reference.
"""
import glob
import os.path as osp
import re
import shlex
import sys
from collections import defaultdict
from urllib.parse import unquote

import pytest
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmseqformer  # noqa: F401  (registers the modules the configs name)
from mmseqformer.testing import REPO_ROOT, run_tool
from mmseqformer.utils import ConfigNotFoundError, find_config

#: Logical lines starting with one of these are not checked for tool
#: commands: launchers that need a cluster or GPUs, and package managers
#: (whole words: prose starting with "pipeline" is not exempt).
EXEMPT = re.compile(
    r'(GPUS=|(srun|sbatch|torchrun|mim|pip3?|bash|sh)(?![\w.-]))')

#: ``python tools/X.py`` (also ``python3``, a venv's ``.../bin/python`` and
#: interpreter flags such as ``-u``); group 1 is the script.
TOOL_COMMAND = re.compile(
    r'\bpython3?(?:\s+-[A-Za-z]+)*\s+(tools/[\w./-]+?\.py)(?!\w)')

#: A config path, placeholders included so that they can be told apart:
#: ``configs/...``, ``configs/*.py`` and ``configs/<name>.py`` are not
#: paths. The look-behind leaves out other projects' ``.../configs/``.
CONFIG_PATH = re.compile(r'(?<![\w./-])configs/[\w./*<>{}-]+?\.py(?!\w)')
PLACEHOLDERS = ('...', '*', '<', '>', '{', '}')
#: A config given by name: a bare word naming one of our model families.
CONFIG_NAME = re.compile(r'(seqformer|mask2former)_[\w-]+')
CONFIG_NAME_ARGUMENT = re.compile(r"init_vis_model\(\s*'([\w-]+)'")

#: ``[text](target)`` and ``![alt](target)``, an optional title after the
#: target; the text may span lines (the docs wrap at 79 columns).
LINK = re.compile(r'\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
#: Fenced code blocks: their brackets are code, not links.
FENCE = re.compile(r'^\s*(```|~~~)')
#: Inline code spans, for the same reason (``x[0](y)``).
INLINE_CODE = re.compile(r'`[^`\n]*`')


def markdown_files(root: str = REPO_ROOT) -> list:
    """README.md and every markdown file under docs/, relative to root."""
    docs = glob.glob(osp.join(root, 'docs', '**', '*.md'), recursive=True)
    files = [osp.join(root, 'README.md')] + sorted(docs)
    return [osp.relpath(path, root) for path in files if osp.isfile(path)]


def read(doc: str, root: str = REPO_ROOT) -> str:
    with open(osp.join(root, doc), encoding='utf-8') as f:
        return f.read()


def logical_lines(text: str):
    """``(first line number, line)`` with shell continuations (a trailing
    backslash) joined, so that a command wrapped over several lines is seen
    whole."""
    start, parts = None, []
    for number, line in enumerate(text.splitlines(), 1):
        if start is None:
            start = number
        if line.rstrip().endswith('\\'):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, ' '.join(parts)
        start, parts = None, []
    if parts:
        yield start, ' '.join(parts)


def tool_scripts(docs: dict) -> dict:
    """``{script: ['doc:line', ...]}`` of the ``python tools/...`` commands
    in ``docs`` (``{doc: text}``), exempt launchers left out."""
    found = defaultdict(list)
    for doc, text in docs.items():
        for number, line in logical_lines(text):
            # A shell prompt is not part of the command.
            command = re.sub(r'^\s*\$\s+', '', line).lstrip()
            if EXEMPT.match(command):
                continue
            for match in TOOL_COMMAND.finditer(command):
                found[osp.normpath(match.group(1))].append(f'{doc}:{number}')
    return dict(found)


def files_made(text: str) -> set:
    """The destinations of the ``cp SRC DST`` and ``mv SRC DST`` commands
    in ``text``: files the doc has the user make (``configs/my_vis.py`` from
    a template), which the repository does not hold."""
    made = set()
    for _, line in logical_lines(text):
        command = re.sub(r'^\s*\$\s+', '', line)
        try:
            words = shlex.split(command, comments=True)
        except ValueError:  # prose with an apostrophe
            continue
        if len(words) >= 3 and words[0] in ('cp', 'mv'):
            made.add(osp.normpath(words[-1]))
    return made


def config_paths(docs: dict) -> dict:
    """``{config: ['doc:line', ...]}`` of the config paths in ``docs``,
    prose and code alike; placeholders and the configs a doc has the user
    make are left out."""
    found = defaultdict(list)
    for doc, text in docs.items():
        made = files_made(text)
        for number, line in enumerate(text.splitlines(), 1):
            for match in CONFIG_PATH.finditer(line):
                path = osp.normpath(match.group(0))
                if path in made or any(mark in path for mark in PLACEHOLDERS):
                    continue
                found[path].append(f'{doc}:{number}')
    return dict(found)


def without_code(text: str) -> str:
    """``text`` with fenced blocks and inline code blanked out, line
    numbers kept."""
    lines, fenced = [], False
    for line in text.split('\n'):
        if FENCE.match(line):
            fenced = not fenced
            lines.append('')
        elif fenced:
            lines.append('')
        else:
            lines.append(
                INLINE_CODE.sub(lambda m: ' ' * len(m.group(0)), line))
    return '\n'.join(lines)


def relative_links(docs: dict) -> list:
    """``(doc, line, target, path)`` of the relative links in ``docs``;
    ``path`` is the target's file relative to the repository root (anchor
    and URL escapes removed). Web, mail and same-page links are left out."""
    links = []
    for doc, text in docs.items():
        text = without_code(text)
        for match in LINK.finditer(text):
            target = match.group(1)
            if re.match(r'(https?:|mailto:|#)', target):
                continue
            number = text.count('\n', 0, match.start(1)) + 1
            file = unquote(target.split('#', 1)[0])
            path = osp.normpath(osp.join(osp.dirname(doc), file))
            links.append((doc, number, target, path))
    return links


def config_names(docs: dict) -> dict:
    """``{name: ['doc:line', ...]}`` of the configs the docs give by name
    (``seqformer_r50``): bare words of ``python tools/...`` commands and the
    first argument of ``init_vis_model`` calls."""
    found = defaultdict(list)
    for doc, text in docs.items():
        for number, line in logical_lines(text):
            names = CONFIG_NAME_ARGUMENT.findall(line)
            if TOOL_COMMAND.search(line):
                names += [
                    word for word in line.split()
                    if CONFIG_NAME.fullmatch(word)
                ]
            for name in names:
                found[name].append(f'{doc}:{number}')
    return dict(found)


DOCS = {doc: read(doc) for doc in markdown_files()}
SCRIPTS = tool_scripts(DOCS)
CONFIGS = config_paths(DOCS)
NAMES = config_names(DOCS)
LINKS = relative_links(DOCS)


def is_base(config: str) -> bool:
    """Whether ``config`` is a ``_base_`` fragment (parts of a config; it
    need not hold a model)."""
    return '_base_' in config.split('/')


def where(references: list) -> str:
    return 'named at ' + ', '.join(references)


# The collectors themselves, on markdown written for them: a regex that
# matched nothing would make every test below pass without checking a thing.


def test_tool_commands_are_found_exemptions_left_out():
    doc = '\n'.join([
        '```bash',
        'python tools/train.py CONFIG',
        '$ python3 -u tools/test.py CONFIG CKPT',
        'CUDA_VISIBLE_DEVICES=0 .venv/bin/python \\',
        '    tools/demo/video_demo.py IN CONFIG CKPT \\',
        '    --out out.mp4',
        'bash tools/dist_train.sh CONFIG 8',
        'GPUS=16 python tools/exempt_a.py',
        'srun python tools/exempt_b.py',
        'torchrun --nproc-per-node 8 tools/exempt_c.py',
        'pip install -e . && python tools/exempt_d.py',
        'mim run mmdet python tools/exempt_e.py',
        '```',
        'pipelines: `python tools/misc/pipeline_tool.py`',
        'Run `python tools/analysis_tools/eval_identity.py R.json G.json`.',
        'The `tools/misc/prose_only.py` script is not a command.',
    ])
    assert tool_scripts({'x.md': doc}) == {
        'tools/train.py': ['x.md:2'],
        'tools/test.py': ['x.md:3'],
        'tools/demo/video_demo.py': ['x.md:4'],
        'tools/misc/pipeline_tool.py': ['x.md:14'],
        'tools/analysis_tools/eval_identity.py': ['x.md:15'],
    }


def test_config_paths_are_found_placeholders_and_copies_left_out():
    doc = '\n'.join([
        'python tools/train.py configs/seqformer_r50.py --amp',
        'see `configs/seqformer/a_b-c.py`; and configs/_base_/x.py.',
        "init_vis_model('configs/seqformer_r50.py')",
        'configs/... configs/seqformer/*.py configs/<name>.py configs/_base_/',
        'other/configs/not_ours.py configs/a.pyc',
        '$ cp configs/seqformer/template.py configs/mine.py  # then edit',
        'python tools/train.py configs/mine.py',
    ])
    assert config_paths({'x.md': doc}) == {
        'configs/seqformer/template.py': ['x.md:6'],
        'configs/seqformer_r50.py': ['x.md:1', 'x.md:3'],
        'configs/seqformer/a_b-c.py': ['x.md:2'],
        'configs/_base_/x.py': ['x.md:2'],
    }


def test_relative_links_are_found_outside_code():
    doc = '\n'.join([
        'See [the guide](user_guides/train_test.md#the-recipe), [the',
        'zoo](../model_zoo.md "title") and ![a figure](img/a%20b.png).',
        '[web](https://example.com) [mail](mailto:a@b.c) [here](#top)',
        '`x[0](y)`',
        '```python',
        'model[0](frames)',
        '```',
    ])
    assert relative_links({'docs/x.md': doc}) == [
        ('docs/x.md', 1, 'user_guides/train_test.md#the-recipe',
         'docs/user_guides/train_test.md'),
        ('docs/x.md', 2, '../model_zoo.md', 'model_zoo.md'),
        ('docs/x.md', 2, 'img/a%20b.png', 'docs/img/a b.png'),
    ]


def test_the_docs_hold_enough_references_to_check():
    # Far fewer than the docs hold today: only a broken collector (or docs
    # gone missing) falls below these.
    assert 'README.md' in DOCS and len(DOCS) >= 5, sorted(DOCS)
    assert len(SCRIPTS) >= 5, SCRIPTS
    assert len(CONFIGS) >= 5, CONFIGS
    assert len(LINKS) >= 5, LINKS


# The docs themselves.


@pytest.mark.parametrize('script', sorted(SCRIPTS))
def test_documented_tool_exists(script):
    assert osp.isfile(osp.join(REPO_ROOT, script)), \
        f'{script} does not exist; {where(SCRIPTS[script])}'


@pytest.mark.slow
@pytest.mark.parametrize('script', sorted(SCRIPTS))
def test_documented_tool_answers_help(script):
    if not osp.isfile(osp.join(REPO_ROOT, script)):
        pytest.skip(f'{script} does not exist (test_documented_tool_exists)')
    # From the repository root, as the docs' commands are run.
    try:
        output = run_tool([sys.executable, script, '--help'], timeout=300)
    except AssertionError as error:
        raise AssertionError(f'{script} --help failed; '
                             f'{where(SCRIPTS[script])}\n{error}') from None
    # A shared module without a command line also exits 0 on --help.
    assert 'usage:' in output, \
        f'{script} --help printed no usage; {where(SCRIPTS[script])}'


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_documented_config_exists_and_loads(config):
    assert osp.isfile(osp.join(REPO_ROOT, config)), \
        f'{config} does not exist; {where(CONFIGS[config])}'
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    if not is_base(config):
        assert 'model' in cfg, f'{config} has no model'


def test_the_docs_name_configs_by_name():
    assert 'seqformer_r50' in NAMES  # the collector still finds them


@pytest.mark.parametrize('name', sorted(NAMES))
def test_documented_config_name_resolves(name):
    try:
        path = find_config(name)
    except ConfigNotFoundError as err:
        pytest.fail(f'{err}; {where(NAMES[name])}')
    assert osp.splitext(osp.basename(path))[0] == name


# Slow tier: tests/test_configs/test_configs.py already builds every file
# under configs/ in the fast one; this builds what the docs name (about
# 11 s on a CPU, Swin-L the largest at 2 s; no weights are read).
@pytest.mark.slow
@pytest.mark.parametrize(
    'config', sorted(config for config in CONFIGS if not is_base(config)))
def test_documented_config_builds(config):
    if not osp.isfile(osp.join(REPO_ROOT, config)):
        pytest.skip(f'{config} does not exist '
                    '(test_documented_config_exists_and_loads)')
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    # As tests/test_configs/test_configs.py builds every config; the
    # pretrained backbone would be downloaded by init_weights only, but
    # building must not depend on it in any case.
    init_default_scope('mmdet')
    if 'backbone' in cfg.model:
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize(
    'doc, line, target, path',
    LINKS,
    ids=[f'{doc}:{line}:{target}' for doc, line, target, _ in LINKS])
def test_relative_link_target_exists(doc, line, target, path):
    assert osp.exists(osp.join(REPO_ROOT, path)), \
        f'{doc}:{line}: the link target {target} ({path}) does not exist'

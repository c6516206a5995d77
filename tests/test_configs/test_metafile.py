"""model-index.yml, configs/seqformer/metafile.yml and docs/model_zoo.md
agree: every model's config exists and loads, its metrics are the table's,
and the doc gives the converter and test commands that fit the config
(its starting weights are the config's ``load_from``)."""
import os.path as osp
import re
import shlex

import pytest
import yaml
from mmengine.config import Config

from mmseqformer.testing import REPO_ROOT

CONVERTER = 'tools/model_converters/seqformer_official_to_mmseqformer.py'
METRICS = ('AP', 'AP50', 'AP75', 'AR1', 'AR10')


def read(path: str) -> str:
    with open(osp.join(REPO_ROOT, path), encoding='utf-8') as f:
        return f.read()


def metafile_models() -> list:
    index = yaml.safe_load(read('model-index.yml'))
    models = []
    for imported in index['Import']:
        metafile = yaml.safe_load(read(imported))
        collections = {c['Name'] for c in metafile['Collections']}
        for model in metafile['Models']:
            assert model['In Collection'] in collections, model['Name']
            models.append(model)
    return models


MODELS = metafile_models()


def zoo_table(doc: str = 'docs/model_zoo.md') -> dict:
    """The rows of a doc's model-zoo table (the first with an AP50 column),
    by config path (a cell holding it as code or as a link)."""
    lines = read(doc).splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith('|') and 'AP50' in line)
    header = [cell.strip() for cell in lines[start].strip('|').split('|')]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        row = dict(
            zip(header, [c.strip() for c in line.strip('|').split('|')]))
        rows[re.search(r'configs/[\w./-]+\.py', row['config']).group()] = row
    return rows


def zoo_commands() -> list:
    """The shell commands of docs/model_zoo.md's code blocks, with
    continuation lines joined, as argument lists."""
    text = read('docs/model_zoo.md')
    commands = []
    for block in re.findall(r'```bash\n(.*?)```', text, re.S):
        block = re.sub(r'\\\n\s*', ' ', block)
        for line in block.splitlines():
            line = line.split('#')[0].strip()
            if line:
                commands.append(shlex.split(line))
    return commands


def option(command: list, name: str):
    return command[command.index(name) + 1] if name in command else None


def test_model_index_names_every_metafile_model_once():
    names = [model['Name'] for model in MODELS]
    assert len(names) == len(set(names)) == 5
    for model in MODELS:
        # OpenMMLab's convention: the name is the config's file name.
        assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
        assert 'Weights' not in model  # no invented download links


@pytest.mark.parametrize('model', MODELS, ids=lambda m: m['Name'])
def test_metafile_config_exists_and_loads(model):
    path = osp.join(REPO_ROOT, model['Config'])
    assert osp.isfile(path), model['Config']
    cfg = Config.fromfile(path)
    assert cfg.model.type == 'SeqFormer'
    data = model['Metadata']['Training Data']
    data = [data] if isinstance(data, str) else data
    uses_coco = any(
        d.get('type') == 'CocoPseudoVideoDataset'
        for d in cfg.train_dataloader.dataset.get('datasets', []))
    assert ('COCO' in data) == uses_coco


@pytest.mark.parametrize('model', MODELS, ids=lambda m: m['Name'])
def test_metafile_metrics_are_the_model_zoo_table(model):
    table = zoo_table()
    assert set(table) == {m['Config'] for m in MODELS}
    row = table[model['Config']]
    (result, ) = model['Results']
    assert result['Task'] == 'Video Instance Segmentation'
    assert result['Dataset'] == 'YouTube-VIS 2019'
    assert {k: float(v) for k, v in result['Metrics'].items()} == \
        {k: float(row[k]) for k in METRICS}
    assert row['AP with this code'] == 'not measured yet'
    assert ('COCO'
            in row['training data']) == ('COCO'
                                         in model['Metadata']['Training Data'])


def test_readme_table_is_the_metafile():
    table = zoo_table('README.md')
    assert set(table) == {m['Config'] for m in MODELS}
    for model in MODELS:
        (result, ) = model['Results']
        assert {k: float(v) for k, v in result['Metrics'].items()} == \
            {k: float(table[model['Config']][k]) for k in METRICS}


@pytest.mark.parametrize('model', MODELS, ids=lambda m: m['Name'])
def test_model_zoo_commands_fit_the_config(model):
    """The doc converts the COCO-pretrained start into the file the
    config's load_from names, converts the trained weights for the
    config, and tests them with --format-only."""
    config = model['Config']
    load_from = Config.fromfile(osp.join(REPO_ROOT, config)).load_from
    assert load_from and 'coco-pretrained' in load_from
    commands = zoo_commands()
    converts = [
        c for c in commands
        if CONVERTER in c and option(c, '--config') == config
    ]
    starts = [c for c in converts if '--coco-pretrained' in c]
    trained = [c for c in converts if '--coco-pretrained' not in c]
    assert [c[3] for c in starts] == [load_from]
    assert len(trained) == 1
    tests = [
        c for c in commands
        if 'tools/test.py' in c and c[c.index('tools/test.py') + 1] == config
    ]
    assert len(tests) == 1
    test = tests[0]
    assert test[test.index('tools/test.py') + 2] == trained[0][3]
    assert '--format-only' in test and option(test, '--out-dir')
    trains = [
        c for c in commands
        if config in c and 'tools/test.py' not in c and CONVERTER not in c
    ]
    assert trains, 'no training command'

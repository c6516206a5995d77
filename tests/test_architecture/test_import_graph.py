"""The package's layers (docs/notes/architecture.md): a subpackage imports
only subpackages below it, lazily or not, so there is no cycle and no
arrow back up (e.g. ``apis`` -> ``deploy``)."""
import ast
import os
import os.path as osp
import subprocess
import sys
from collections import defaultdict
from typing import Dict, Set

import mmseqformer

PACKAGE_ROOT = osp.dirname(mmseqformer.__file__)

#: Each subpackage (or top-level module) and its layer: it may import
#: only what sits strictly lower. ``(top)`` is ``mmseqformer/__init__.py``.
LAYERS = {
    'install_check': 0,
    'version': 0,
    'registry': 0,
    'utils': 1,
    'ops': 2,
    'datasets': 2,
    'models': 3,
    'evaluation': 3,
    'engine': 3,
    'visualization': 3,
    'apis': 4,
    'testing': 5,
    'deploy': 6,
    'benchmark': 7,
    '(top)': 8,
}


def _part(module: str) -> str:
    """The subpackage (or top-level module) of a dotted module name."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else '(top)'


def _imports(path: str, module: str, is_package: bool) -> Set[str]:
    """Every ``mmseqformer`` module a file imports, anywhere in it
    (function-level imports included), relative ones resolved."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split('.')
                if not is_package:
                    base = base[:-1]
                base = base[:len(base) - node.level + 1]
                target = '.'.join(base +
                                  [node.module] if node.module else base)
            else:
                target = node.module
            found.add(target)
            # ``from . import x``: x may be a subpackage.
            found.update(f'{target}.{alias.name}' for alias in node.names)
    return {name for name in found if name.split('.')[0] == 'mmseqformer'}


def package_graph() -> Dict[str, Set[str]]:
    """Subpackage -> the subpackages it imports."""
    graph = defaultdict(set)
    for folder, _, files in os.walk(PACKAGE_ROOT):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            rel = osp.relpath(path, osp.dirname(PACKAGE_ROOT))[:-3]
            module = rel.replace(os.sep, '.')
            is_package = name == '__init__.py'
            if is_package:
                module = module[:-len('.__init__')]
            for target in _imports(path, module, is_package):
                source, dest = _part(module), _part(target)
                if dest in LAYERS and source != dest:
                    graph[source].add(dest)
                graph.setdefault(source, set())
    return graph


def test_every_subpackage_has_a_layer():
    parts = {
        name[:-3] if name.endswith('.py') else name
        for name in os.listdir(PACKAGE_ROOT)
        if not name.startswith(('_', '.')) and name != '__pycache__'
    }
    assert parts - set(LAYERS) == set(), \
        'place the new subpackage in LAYERS (docs/notes/architecture.md)'


def test_imports_only_go_down():
    upward = sorted(f'{source} -> {dest}'
                    for source, targets in package_graph().items()
                    for dest in targets if LAYERS[dest] >= LAYERS[source])
    assert upward == []


def test_the_inference_api_does_not_import_the_deployment_package():
    graph = package_graph()
    for lower in ('apis', 'models', 'datasets', 'ops'):
        assert 'deploy' not in graph[lower]
    assert 'apis' in graph['deploy']  # deploy sits on top of the API


def test_the_graph_reader_sees_lazy_and_relative_imports(tmp_path):
    path = tmp_path / 'mod.py'
    path.write_text('from ..deploy import x\n'
                    'def f():\n'
                    '    from ...ops import y\n'
                    '    import mmseqformer.utils\n'
                    'from . import sibling\n')
    found = _imports(str(path), 'mmseqformer.apis.sub.mod', False)
    assert {
        'mmseqformer.apis.deploy', 'mmseqformer.ops', 'mmseqformer.utils',
        'mmseqformer.apis.sub.sibling'
    } <= found


def test_a_pytorch_model_does_not_load_the_deployment_package():
    """At run time too: ``init_vis_model`` imports only the backend asked
    for (a fresh interpreter: the test session has imported everything)."""
    code = ('import sys\n'
            'from mmseqformer.apis import init_vis_model\n'
            'from mmseqformer.testing import TINY_CONFIG\n'
            'from mmseqformer.utils.config_lookup import find_config\n'
            'init_vis_model(find_config(TINY_CONFIG))\n'
            "print(sorted(m for m in sys.modules if 'deploy' in m))\n")
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == '[]'

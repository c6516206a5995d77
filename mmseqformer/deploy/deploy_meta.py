"""``deploy.json``: what ONNX Runtime inference needs besides the graphs.

An exported model folder holds the three graphs, ``config.py`` (the
model's config as exported) and ``deploy.json``: the class names (from the
checkpoint), the decoder's sizes and aggregation modes, ``test_cfg``, the
input normalisation and the graphs' input and output names. With them the
ONNX Runtime side needs no checkpoint.
"""
import os.path as osp
from typing import Any, Dict

from ..datasets.ytvis_format import read_json_file

#: The description file of an exported model folder.
META_FILE = 'deploy.json'
#: The config saved beside the graphs.
CONFIG_FILE = 'config.py'
#: ``deploy.json``'s ``format`` and the version this code reads.
META_FORMAT = 'mmseqformer-onnx'
# Version 2: frame_paths.onnx also outputs the encoder's stride-8 map.
META_VERSION = 2
#: Graph roles and their files.
GRAPH_FILES = dict(
    frame_paths='frame_paths.onnx',
    instance_path='instance_path.onnx',
    instance_masks='instance_masks.onnx')
#: Entries every deploy.json has.
REQUIRED_KEYS = ('format', 'version', 'graphs', 'dataset_meta', 'num_layers',
                 'num_queries', 'num_classes', 'aggregations', 'weighted',
                 'test_cfg', 'input')


def read_deploy_meta(model_dir: str) -> Dict[str, Any]:
    """Read and check ``model_dir/deploy.json`` and that its graphs exist.

    Raises:
        FileNotFoundError: no such folder, no deploy.json or a graph
            missing, naming the path.
        ValueError: not a description this code reads, naming the file
            and the entry.
    """
    if not osp.isdir(model_dir):
        raise FileNotFoundError(
            f'{model_dir}: exported model folder not found (make one with '
            'tools/deployment/export_onnx.py)')
    path = osp.join(model_dir, META_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{model_dir} is not an exported model folder: it has no '
            f'{META_FILE} (make one with tools/deployment/export_onnx.py)')
    meta = read_json_file(path, kind='exported model description')
    if not isinstance(meta, dict):
        raise ValueError(f'{path}: the top level must be an object')
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise ValueError(f'{path}: missing entries {missing}')
    if meta['format'] != META_FORMAT or meta['version'] != META_VERSION:
        raise ValueError(
            f'{path}: "format" {meta["format"]!r} version '
            f'{meta["version"]!r}; this code reads {META_FORMAT!r} version '
            f'{META_VERSION} (export the model again)')
    for role in GRAPH_FILES:
        graph = meta['graphs'].get(role)
        if graph is None:
            raise ValueError(f'{path}: "graphs" has no {role!r} entry')
        if not osp.isfile(osp.join(model_dir, graph['file'])):
            raise FileNotFoundError(
                f'{path}: graph {role!r} names {graph["file"]}, which is '
                f'not in {model_dir}')
    return meta

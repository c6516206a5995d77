"""Run the official SeqFormer code (wjf5203/SeqFormer) from a checkout.

Nothing of the official code is copied into this repository: the checkout is
given at run time, put on ``sys.path`` and patched in memory, so that its own
modules build and run its own model on today's PyTorch, on any device:

- Deformable attention: the official modules call its compiled CUDA
  extension (``MultiScaleDeformableAttention``); they are routed to the
  official PyTorch reference of the same operation,
  ``ms_deform_attn_core_pytorch`` (``grid_sample``; differentiable), and the
  extension is never imported.
- torchvision: ``util/misc.py`` parses ``torchvision.__version__`` as a float
  (``'0.28'[:3]`` reads as 0.2 and takes a branch for torchvision < 0.5 that
  no longer imports), and calls ``torchvision.ops.misc.interpolate`` (gone
  since 0.9): the version reads as 0.9 while ``util.misc`` is imported, and
  its ``interpolate`` becomes ``torch.nn.functional.interpolate`` (what
  torchvision's was). A torchvision whose compiled ops do not load (a CUDA
  wheel beside a CPU torch) is imported without them: the official code uses
  only its Python parts (``IntermediateLayerGetter``, ResNets,
  ``box_area``, transforms).
- No download: ``models/backbone.py`` asks torchvision for ImageNet weights
  on the main process; it is told it is not the main process (the official
  switch for "no pretrained weights"). The ResNeXt-101 helper calls
  torchvision's ``_resnet`` with its pre-0.13 signature; it gets a shim.
- Scripts (:func:`run_official_script`): third-party modules that a script
  imports but the model never uses (``cv2``, ``matplotlib``, ``imgaug``,
  ``panopticapi``, ``tqdm``, ``pandas``, ``seaborn``, the YouTube-VIS
  fork of ``pycocotools``) are replaced by placeholders when absent, and
  ``Tensor.cuda()`` returns the tensor itself when there is no GPU.

Typical use (``python`` of an environment with torchvision and scipy;
there, import this module as
:func:`~mmseqformer.benchmark.child_process.child_command` does, with
``standalone=True``)::

    from mmseqformer.benchmark.official_code import (
        build_official_model, randomize_official_, run_official_script,
        save_official_checkpoint)
    model, criterion, post = build_official_model(
        'path/to/SeqFormer', script='inference.py', masks=True)
    randomize_official_(model, seed=0)
    save_official_checkpoint(model, 'official.pth')
    run_official_script('path/to/SeqFormer', 'inference.py', [
        '--masks', '--device', 'cpu', '--model_path', 'official.pth',
        '--img_path', 'frames/', '--ann_path', 'videos.json',
        '--save_path', 'results.json'])

Checked with the official commit :data:`OFFICIAL_COMMIT`.
"""
import argparse
import ast
import contextlib
import os.path as osp
import runpy
import sys
import types
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: The official commit these patches were written for (HEAD of
#: wjf5203/SeqFormer, "Update README.md", 2022-07-23).
OFFICIAL_COMMIT = '94272384dfa357dab6c4a6cc08af4e5073942fb5'

#: Top-level names of the official packages (generic: they must not be
#: taken by other packages in the same process).
OFFICIAL_PACKAGES = ('models', 'util', 'datasets', 'engine')
#: Third-party modules the official scripts import at module level but the
#: model never uses.
OPTIONAL_MODULES = ('cv2', 'matplotlib', 'matplotlib.pyplot', 'imgaug',
                    'imgaug.augmenters', 'imgaug.augmentables',
                    'imgaug.augmentables.bbs', 'imgaug.augmentables.segmaps',
                    'panopticapi', 'panopticapi.utils', 'tqdm', 'pandas',
                    'seaborn', 'pycocotools.ytvos', 'pycocotools.ytvoseval')

_STATE: Dict[str, Any] = {}


def official_checkout_problem(root: str) -> Optional[str]:
    """Why ``root`` is not an official SeqFormer checkout (None if it is)."""
    if not osp.isfile(osp.join(root, 'models', 'seqformer.py')):
        return (f'{root}: not an official SeqFormer checkout (no '
                'models/seqformer.py)')
    return None


def check_official_checkout(root: str) -> None:
    """Raise :class:`~mmseqformer.utils.InputNotFoundError` (the tools
    print it as one ``error:`` line) unless ``root`` is an official
    SeqFormer checkout."""
    problem = official_checkout_problem(root)
    if problem:
        # Here, not at the top: the official code's Python, which imports
        # this module standalone, may lack mmengine.
        from ..utils.user_errors import InputNotFoundError
        raise InputNotFoundError(problem)


def add_official_arguments(parser: argparse.ArgumentParser,
                           required: bool = False,
                           help_suffix: str = '') -> None:
    """``--official-root`` (the checkout) and ``--official-python`` (the
    Python the official code runs in) for a command line."""
    parser.add_argument(
        '--official-root',
        required=required,
        help='official SeqFormer checkout' + help_suffix)
    parser.add_argument(
        '--official-python',
        default=sys.executable,
        help='Python of an environment with torch, torchvision and scipy '
        'for the official code (default: this one)')


def import_official(root: str) -> types.SimpleNamespace:
    """Make the official checkout importable, patched; idempotent.

    Args:
        root (str): The official checkout (the folder with ``main.py``).

    Returns:
        SimpleNamespace: The official modules ``models`` (``build_model``),
        ``seqformer``, ``segmentation``, ``backbone``, ``matcher``,
        ``deformable_transformer``, ``msda`` (the attention module),
        ``misc`` (``util.misc``) and ``box_ops``.
    """
    root = osp.abspath(root)
    if 'root' in _STATE:
        if _STATE['root'] != root:
            raise RuntimeError(
                f'official code already imported from {_STATE["root"]}, '
                f'cannot import it again from {root}')
        return _STATE['modules']
    problem = official_checkout_problem(root)
    if problem:
        raise FileNotFoundError(problem)
    for name in OFFICIAL_PACKAGES:
        module = sys.modules.get(name)
        if module is not None and not (getattr(module, '__file__', None)
                                       or '').startswith(root):
            raise RuntimeError(
                f'a module named {name!r} is already imported from '
                f'{getattr(module, "__file__", None)}; the official code '
                'needs that name')
    sys.path.insert(0, root)
    _import_torchvision()
    _STATE['root'] = root
    _STATE['modules'] = _import_patched_modules()
    return _STATE['modules']


def _import_torchvision() -> None:
    """Import torchvision, without its compiled ops if they do not load."""
    try:
        import torchvision  # noqa: F401
        return
    except RuntimeError:
        # Its op registrations fail when its _C library does not match
        # torch (e.g. a CUDA build beside a CPU torch).
        for name in [n for n in sys.modules if n.startswith('torchvision')]:
            del sys.modules[name]
    for name in ('torchvision._meta_registrations',
                 'torchvision._autograd_registrations'):
        sys.modules[name] = types.ModuleType(name)
    import torchvision  # noqa: F401,F811


def _import_patched_modules() -> types.SimpleNamespace:
    import torchvision

    version = torchvision.__version__
    torchvision.__version__ = '0.9.0'  # see the module docstring
    try:
        import util.misc as misc
    finally:
        torchvision.__version__ = version
    misc.interpolate = _interpolate

    # The attention function module imports the compiled extension at the
    # top; a placeholder lets it import, and nothing calls it.
    sys.modules.setdefault('MultiScaleDeformableAttention',
                           types.ModuleType('MultiScaleDeformableAttention'))
    import models.ops.functions.ms_deform_attn_func as msda_func
    import models.ops.modules.ms_deform_attn as msda
    msda.MSDeformAttnFunction = _PyTorchMSDeformAttnFunction(
        msda_func.ms_deform_attn_core_pytorch)

    import models
    import models.backbone as backbone
    import models.deformable_transformer as deformable_transformer
    import models.matcher as matcher
    import models.segmentation as segmentation
    import models.seqformer as seqformer
    import models.x101_64d as x101
    import util.box_ops as box_ops
    backbone.is_main_process = lambda: False  # pretrained=False
    x101._resnet = _legacy_resnet
    for module in (seqformer, segmentation):
        if getattr(module, 'interpolate', None) is not None:
            module.interpolate = _interpolate
    return types.SimpleNamespace(
        models=models,
        seqformer=seqformer,
        segmentation=segmentation,
        backbone=backbone,
        matcher=matcher,
        deformable_transformer=deformable_transformer,
        msda=msda,
        misc=misc,
        box_ops=box_ops)


def _interpolate(input,
                 size=None,
                 scale_factor=None,
                 mode='nearest',
                 align_corners=None):
    """What ``torchvision.ops.misc.interpolate`` was (torchvision >= 0.7)."""
    return F.interpolate(input, size, scale_factor, mode, align_corners)


class _PyTorchMSDeformAttnFunction:
    """Stands in for the official autograd function of the CUDA extension:
    same ``apply`` arguments, computed by the official PyTorch reference
    (``level_start_index`` and ``im2col_step`` only matter to the kernel)."""

    def __init__(self, core: Callable):
        self.core = core

    def apply(self, value, spatial_shapes, level_start_index,
              sampling_locations, attention_weights, im2col_step):
        return self.core(value, spatial_shapes, sampling_locations,
                         attention_weights)


def _legacy_resnet(arch, block, layers, pretrained, progress, **kwargs):
    """torchvision's pre-0.13 ``_resnet(arch, block, layers, pretrained,
    progress, **kwargs)``, without weights."""
    from torchvision.models.resnet import ResNet
    if pretrained:
        raise ValueError(f'{arch}: pretrained weights are not downloaded')
    return ResNet(block, layers, **kwargs)


def official_args(root: str,
                  script: str = 'main.py',
                  masks: bool = True,
                  **overrides) -> argparse.Namespace:
    """The arguments an official script would parse, with overrides.

    Only the script's ``get_args_parser`` function is executed (read with
    ``ast``), so the script's other imports (datasets, engine, OpenCV) are
    not needed.

    Args:
        root (str): The official checkout.
        script (str): ``'main.py'`` (training defaults: no box refinement,
            no relative coordinates, dataset ``coco``) or ``'inference.py'``
            (the released models: box refinement, relative coordinates,
            ``YoutubeVIS`` with 42 classes).
        masks (bool): ``--masks`` (the SeqFormer model with its mask head).
        **overrides: Argument values by their ``dest`` name, e.g.
            ``hidden_dim=32``; an unknown name is an error.

    Returns:
        argparse.Namespace: The arguments. ``device`` defaults to ``cuda``
        when a GPU is present and ``cpu`` otherwise.
    """
    args = _parser_of(osp.join(
        osp.abspath(root), script)).parse_args(['--masks'] if masks else [])
    args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    for name, value in overrides.items():
        if not hasattr(args, name):
            raise TypeError(f'{script} has no argument {name!r}')
        setattr(args, name, value)
    return args


def _parser_of(path: str) -> argparse.ArgumentParser:
    with open(path) as file:
        tree = ast.parse(file.read(), path)
    functions = [
        node for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == 'get_args_parser'
    ]
    if not functions:
        raise ValueError(f'{path}: no get_args_parser function')
    namespace = {'argparse': argparse, 'np': np}
    exec(
        compile(ast.Module(body=functions, type_ignores=[]), path, 'exec'),
        namespace)
    return namespace['get_args_parser']()


def build_official_model(
        root: str,
        script: str = 'main.py',
        body: Optional[nn.Module] = None,
        num_channels: Optional[Sequence[int]] = None,
        **overrides) -> Tuple[nn.Module, nn.Module, Dict[str, nn.Module]]:
    """Build the official model with the official ``build_model(args)``.

    Args:
        root (str): The official checkout.
        script (str): Whose argument defaults to start from, see
            :func:`official_args`.
        body (nn.Module, optional): A ResNet in torchvision's layout
            (``conv1``, ``bn1``, ``layer1``..``layer4``; FrozenBatchNorm2d)
            to use instead of the torchvision ResNet named by ``backbone``
            (whose channel counts the official code hard-codes). It is
            wrapped by the official ``BackboneBase`` and ``Joiner`` as the
            official ResNet is (the same freezing: stem and layer1).
        num_channels (Sequence[int], optional): Output channels of
            ``body``'s layer2, layer3 and layer4 (with ``body``).
        **overrides: Argument values, see :func:`official_args` (``masks``
            is True unless given).

    Returns:
        tuple: ``(model, criterion, postprocessors)`` as the official
        ``build_model`` returns them (model on the CPU).
    """
    official = import_official(root)
    args = official_args(root, script, **overrides)
    with _backbone_body(official, body, num_channels):
        model, criterion, postprocessors = official.models.build_model(args)
    model.args = args
    return model, criterion, postprocessors


@contextlib.contextmanager
def _backbone_body(official, body: Optional[nn.Module],
                   num_channels: Optional[Sequence[int]]) -> Iterator[None]:
    """Let the official ``build`` wrap ``body`` instead of a torchvision
    ResNet (``models/seqformer.py`` calls ``build_backbone`` by name)."""
    if body is None:
        yield
        return
    if num_channels is None or len(num_channels) != 3:
        raise ValueError('num_channels: the channels of layer2..layer4')
    backbone = official.backbone

    def build_backbone(args):
        base = backbone.BackboneBase(body, args.lr_backbone > 0, True)
        base.num_channels = list(num_channels)
        return backbone.Joiner(base, backbone.build_position_encoding(args))

    original = official.seqformer.build_backbone
    official.seqformer.build_backbone = build_backbone
    try:
        yield
    finally:
        official.seqformer.build_backbone = original


@torch.no_grad()
def randomize_official_(model: nn.Module,
                        seed: int,
                        std: float = 0.02) -> nn.Module:
    """Make every layer of a freshly built model non-trivial, in place.

    A new model has layers that compute the identity or zero (zero-init box
    heads and attention weights, frozen BN with unit statistics, unit norms),
    so a comparison would not see a mistake in them. Here every frozen BN
    gets random statistics and affine values (weight, variance uniform in
    [0.5, 1.5]; bias, mean N(0, 0.1)), then every parameter and frozen-BN
    buffer gets N(0, ``std``) noise (each tensor once, even where the
    official model registers it twice). The noise comes from a generator
    seeded with ``seed``, on the CPU, so the values do not depend on the
    device or on the global random state.

    Args:
        model (nn.Module): The official model.
        seed (int): Seed of the values.
        std (float): Standard deviation of the noise on every tensor.

    Returns:
        nn.Module: ``model``.
    """
    generator = torch.Generator().manual_seed(seed)

    def draw(tensor, kind, low=0.0, high=1.0):
        if kind == 'uniform':
            value = torch.rand(
                tensor.shape, generator=generator, dtype=torch.float64)
            value = low + (high - low) * value
        else:
            value = torch.randn(
                tensor.shape, generator=generator, dtype=torch.float64) * high
        return value.to(tensor)

    frozen_bn = [
        module for module in model.modules()
        if type(module).__name__ == 'FrozenBatchNorm2d'
    ]
    for module in frozen_bn:
        module.weight.copy_(draw(module.weight, 'uniform', 0.5, 1.5))
        module.bias.copy_(draw(module.bias, 'normal', high=0.1))
        module.running_mean.copy_(
            draw(module.running_mean, 'normal', high=0.1))
        module.running_var.copy_(draw(module.running_var, 'uniform', 0.5, 1.5))
    tensors = list(model.parameters())
    for module in frozen_bn:
        tensors += [module.weight, module.bias, module.running_mean]
    seen = set()
    for tensor in tensors:
        if id(tensor) not in seen:
            seen.add(id(tensor))
            tensor.add_(draw(tensor, 'normal', high=std))
    return model


def save_official_checkpoint(model: nn.Module, path: str) -> None:
    """Save ``{'model': state_dict}`` (CPU tensors), the official layout."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({'model': state}, path)


def run_official_script(root: str, script: str,
                        argv: Sequence[str]) -> Dict[str, Any]:
    """Run an official script unchanged, as ``python script argv``.

    The script runs in this process (``runpy``, ``__name__ == '__main__'``)
    with the patches of :func:`import_official`; the working directory is
    left as it is, so relative paths in ``argv`` are the caller's.

    Args:
        root (str): The official checkout.
        script (str): The script inside it, e.g. ``'inference.py'``.
        argv (Sequence[str]): Its command-line arguments.

    Returns:
        dict: The script's globals after it ran.
    """
    import_official(root)
    path = osp.join(osp.abspath(root), script)
    with _placeholders(OPTIONAL_MODULES), _cuda_optional(), \
            _argv([path, *argv]):
        return runpy.run_path(path, run_name='__main__')


@contextlib.contextmanager
def _argv(argv: Sequence[str]) -> Iterator[None]:
    saved, sys.argv = sys.argv, list(argv)
    try:
        yield
    finally:
        sys.argv = saved


@contextlib.contextmanager
def _cuda_optional() -> Iterator[None]:
    """``Tensor.cuda()`` is the identity while no GPU is present."""
    if torch.cuda.is_available():
        yield
        return
    original = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    try:
        yield
    finally:
        torch.Tensor.cuda = original


class _Placeholder(types.ModuleType):
    """A module for an absent optional dependency: any attribute is another
    placeholder, and calling one says what is missing."""

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        return _Placeholder(f'{self.__name__}.{name}')

    def __call__(self, *args, **kwargs):
        raise ImportError(f'{self.__name__}: the module is not installed '
                          '(a placeholder stands in for the official script)')


@contextlib.contextmanager
def _placeholders(names: Sequence[str]) -> Iterator[None]:
    """Placeholders for the modules of ``names`` that do not import."""
    added = []
    for name in names:
        if name in sys.modules:
            continue
        try:
            __import__(name)
        except ImportError:
            sys.modules[name] = _Placeholder(name)
            added.append(name)
    for name in added:  # `import a.b` binds b on a
        parent, _, child = name.rpartition('.')
        if parent in added:
            setattr(sys.modules[parent], child, sys.modules[name])
    try:
        yield
    finally:
        for name in added:
            sys.modules.pop(name, None)

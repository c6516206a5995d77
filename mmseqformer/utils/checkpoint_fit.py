"""Read a checkpoint and check that it fits a model, naming what does not.

mmengine loads checkpoints non-strictly: a file of another model, or one
with a renamed key, loads "fine" and leaves a mostly random model behind a
single warning. Everything in mmseqformer that loads a checkpoint for a user
(``tools/test.py``, the demo, :func:`~mmseqformer.apis.init_vis_model`,
resuming) goes through :func:`read_checkpoint` and :func:`check_fits`
instead, the converter through :func:`check_state_dict_fits`.

Two more things a training start needs are here too: :func:`check_load_from`
stops before anything runs when the starting weights (``load_from``) are
missing, and :func:`split_for_finetuning` sets aside the class heads of a
checkpoint trained on other classes while requiring every other key to fit.
"""
import os
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from .user_errors import InputFormatError, InputNotFoundError

#: mmengine's default ``revise_keys``: DDP-wrapped models save ``module.``.
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )
#: How many keys of each kind a message lists (the counts are always given).
MAX_LISTED = 8


class CheckpointMismatchError(InputFormatError):
    """A checkpoint does not fit a model, or a file is not a checkpoint.

    The message names the file and lists the offending keys.
    """


class CheckpointNotFoundError(CheckpointMismatchError, InputNotFoundError):
    """A checkpoint file does not exist (also a ``FileNotFoundError``)."""


class LoadFromNotFoundError(InputNotFoundError):
    """A config's ``load_from`` (the starting weights) is not there.

    The message is one line: the file, the config, how to make the file and
    how to start without it.
    """


def fit_problems(state: Dict[str, Tensor],
                 reference: Dict[str, Tensor]) -> List[Tuple[str, List[str]]]:
    """The missing, unexpected and misshapen keys of ``state``.

    Args:
        state (dict[str, Tensor]): The checkpoint's state dict.
        reference (dict[str, Tensor]): The model's own state dict (only the
            shapes are used, so a model on the ``meta`` device will do).

    Returns:
        list[tuple[str, list[str]]]: ``(what, keys)`` for each kind of
        problem that occurs, in the order missing, unexpected, misshapen;
        empty when the checkpoint fits.
    """
    missing = sorted(set(reference) - set(state))
    unexpected = sorted(set(state) - set(reference))
    misshapen = [
        f'{name}: {tuple(state[name].shape)} in the checkpoint, '
        f'{tuple(reference[name].shape)} in the model'
        for name in sorted(set(state) & set(reference))
        if tuple(state[name].shape) != tuple(reference[name].shape)
    ]
    return [(what, keys)
            for what, keys in (('missing from the checkpoint',
                                missing), ('not in the model', unexpected),
                               ('shapes that do not fit', misshapen)) if keys]


def describe_problems(problems: Sequence[Tuple[str, List[str]]],
                      max_listed: Optional[int] = MAX_LISTED) -> str:
    """Problems as text: a count and the first ``max_listed`` keys (all of
    them when None) of each kind."""
    lines = []
    for what, keys in problems:
        lines.append(f'{len(keys)} key(s) {what}:')
        shown = keys if max_listed is None else keys[:max_listed]
        lines.extend(f'  {key}' for key in shown)
        if len(shown) < len(keys):
            lines.append(f'  ... and {len(keys) - len(shown)} more')
    return '\n'.join(lines)


def check_state_dict_fits(state: Dict[str, Tensor],
                          reference: Dict[str, Tensor],
                          max_listed: Optional[int] = None,
                          error: type = CheckpointMismatchError) -> None:
    """Raise ``error``, listing the missing, unexpected or misshapen keys.

    Args:
        state (dict[str, Tensor]): The checkpoint's state dict.
        reference (dict[str, Tensor]): The model's own state dict.
        max_listed (int, optional): Keys listed per kind; None lists all.
        error (type): The exception class to raise.
    """
    problems = fit_problems(state, reference)
    if problems:
        raise error(describe_problems(problems, max_listed))


def read_torch_file(path: str,
                    map_location='cpu',
                    what: str = 'checkpoint') -> object:
    """Load any file written by ``torch.save``; any failure names the file.

    Local files are read with ``torch.load`` (as mmengine does); other
    URIs (``http://``, ``torchvision://``, ...) with mmengine's loader.

    Args:
        path (str): The file.
        map_location: As :func:`torch.load`.
        what (str): What the file should be, for the messages.

    Returns:
        object: What the file holds.

    Raises:
        CheckpointNotFoundError: The local file does not exist.
        CheckpointMismatchError: torch cannot read it (empty, a text file,
            truncated, ...); the message is one line.
    """
    if is_local_path(path):
        if not os.path.isfile(path):
            raise CheckpointNotFoundError(f'{path}: {what} not found')
        if os.path.getsize(path) == 0:
            raise CheckpointMismatchError(
                f'{path} is not a {what} torch can read (the file is empty: '
                '0 bytes)')
    try:
        if not is_local_path(path):
            from mmengine.runner.checkpoint import _load_checkpoint
            return _load_checkpoint(path, map_location=map_location)
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as err:  # torch raises many types for a bad file
        reason = (str(err).strip().splitlines() or [''])[0]
        raise CheckpointMismatchError(
            f'{path} is not a {what} torch can read '
            f'({type(err).__name__}: {reason})') from err


def read_checkpoint(path: str, map_location='cpu') -> dict:
    """Load a checkpoint file; any failure names the file
    (:func:`read_torch_file`).

    Args:
        path (str): The checkpoint.
        map_location: As :func:`torch.load`.

    Returns:
        dict: The checkpoint (``state_dict``, ``meta``, ...).
    """
    checkpoint = read_torch_file(path, map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(
            f'{path} holds a {type(checkpoint).__name__}, not a checkpoint '
            '(a dict with a "state_dict" or a state dict)')
    return checkpoint


def checkpoint_state_dict(
    checkpoint: dict,
    revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS
) -> Dict[str, Tensor]:
    """The state dict of a checkpoint, keys revised as mmengine does when it
    loads (``module.`` prefixes stripped)."""
    state = checkpoint.get('state_dict', checkpoint)
    for pattern, replacement in revise_keys:
        state = {re.sub(pattern, replacement, k): v for k, v in state.items()}
    return state


def check_fits(model: nn.Module,
               checkpoint: dict,
               path: str,
               revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS,
               hint: str = '') -> None:
    """Raise :class:`CheckpointMismatchError` unless every key and shape of
    ``checkpoint`` fits ``model`` exactly.

    Args:
        model (nn.Module): The model (any device, ``meta`` included).
        checkpoint (dict): From :func:`read_checkpoint`.
        path (str): The checkpoint's path, for the message.
        revise_keys (Sequence[tuple[str, str]]): Key renames applied before
            loading, as mmengine's ``revise_keys``.
        hint (str): A last line for the message (how to opt out).
    """
    state = checkpoint_state_dict(checkpoint, revise_keys)
    problems = fit_problems(state, model.state_dict())
    if not problems:
        return
    message = [
        f'{path} does not fit the model ({type(model).__name__}):',
        describe_problems(problems)
    ]
    if any(key.startswith('detr.') for key in state):
        message.append('It looks like an official SeqFormer checkpoint: '
                       'convert it with tools/model_converters/'
                       'seqformer_official_to_mmseqformer.py first.')
    if hint:
        message.append(hint)
    raise CheckpointMismatchError('\n'.join(message))


def is_local_path(path: str) -> bool:
    """Whether ``path`` is a local file path (not ``http://``,
    ``torchvision://``, ``open-mmlab://``, ...)."""
    return '://' not in path


def check_load_from(load_from: Optional[str],
                    config: Optional[str] = None) -> None:
    """Raise :class:`LoadFromNotFoundError` when ``load_from`` is a local
    file that does not exist.

    The configs that reproduce the official results name their starting
    weights (``checkpoints/..._coco-pretrained.pth``), which a user makes
    with the converter; without this check the run would build everything
    and then fail deep inside mmengine with a traceback.

    Args:
        load_from (str, optional): The config's ``load_from``; None (start
            from the backbone's own pretrained weights) and URIs pass.
        config (str, optional): The config file, named in the message.
    """
    if not load_from or not is_local_path(load_from) or \
            os.path.isfile(load_from):
        return
    of_config = f' of {config}' if config else ''
    # A relative load_from is relative to where the tool runs, not to the
    # config or the checkout.
    where = '' if os.path.isabs(load_from) else \
        f', looked for as {os.path.abspath(load_from)}'
    raise LoadFromNotFoundError(
        f'the starting weights{of_config} (load_from = {load_from!r}'
        f'{where}) do not exist. Make that file from the official weights '
        'with tools/model_converters/seqformer_official_to_mmseqformer.py '
        '(docs/model_zoo.md gives the command for each config), point '
        'load_from at your file with --cfg-options load_from=PATH, or start '
        'without it with --cfg-options load_from=None (only the backbone '
        'is then pretrained, by its init_cfg)')


def split_for_finetuning(
    state: Dict[str, Tensor],
    reference: Dict[str, Tensor],
    reinit_keys: Sequence[str],
) -> Tuple[Dict[str, Tensor], List[str], List[Tuple[str, List[str]]]]:
    """Set aside the keys to re-initialise; list what else does not fit.

    Fine-tuning on other classes: the class heads (whose rows are the
    classes) keep the model's initialisation, whatever the checkpoint
    holds for them, since its rows are other classes; every other key is
    loaded and must fit, so that a checkpoint of another architecture still
    stops with the keys named instead of training a half-random model.

    Args:
        state (dict[str, Tensor]): The checkpoint's state dict (keys
            revised, :func:`checkpoint_state_dict`).
        reference (dict[str, Tensor]): The model's state dict (shapes only:
            a ``meta`` model will do).
        reinit_keys (Sequence[str]): Regular expressions
            (:func:`re.search`); the model keys that match one are
            re-initialised, and the checkpoint's keys that match one are
            not loaded.

    Returns:
        tuple: ``(to_load, reinit, problems)``: the state dict without the
        matching keys (its ``_metadata``, which versioned modules read,
        kept); the model keys that keep their initialisation, sorted; the
        problems of the rest as :func:`fit_problems` gives them (empty when
        the rest fits).
    """
    patterns = [re.compile(pattern) for pattern in reinit_keys]
    unused = [
        p.pattern for p in patterns if not any(p.search(k) for k in reference)
    ]
    if unused:
        # A typo would otherwise load the old class heads without a word
        # whenever the class counts happen to be equal.
        raise CheckpointMismatchError(
            f'reinit_keys pattern(s) {unused} match no key of the model')

    def matches(key: str) -> bool:
        return any(p.search(key) for p in patterns)

    to_load = OrderedDict(
        (key, value) for key, value in state.items() if not matches(key))
    metadata = getattr(state, '_metadata', None)
    if metadata is not None:
        to_load._metadata = metadata
    reinit = sorted(key for key in reference if matches(key))
    kept = {key: value for key, value in reference.items() if not matches(key)}
    return to_load, reinit, fit_problems(to_load, kept)


def describe_reinit(reinit: Sequence[str], state: Dict[str, Tensor],
                    reference: Dict[str, Tensor]) -> str:
    """One line per re-initialised key: its shape in the checkpoint (or
    that it is absent there) and in the model."""
    lines = []
    for key in reinit:
        source = (f'{tuple(state[key].shape)} in the checkpoint'
                  if key in state else 'not in the checkpoint')
        lines.append(f'  {key}: {source}, {tuple(reference[key].shape)} in '
                     'the model')
    return '\n'.join(lines)

"""Where the time of one training iteration goes, part by part
(``tools/analysis_tools/benchmark.py train-profile``).

An iteration is what mmengine's ``IterBasedTrainLoop`` runs, less its
hooks: the train dataloader's next batch, then the model's ``train_step``
(data preprocessor, forward in ``loss`` mode, ``parse_losses``, and the
optim wrapper's ``update_params``: backward, gradient clipping, optimizer
step, ``zero_grad``). The model, optim wrapper and dataloader are built by
an mmengine ``Runner`` from the config, as ``tools/train.py`` builds them
(weights as built: their values do not change the work).

Wall-clock timers around methods of the built modules and optim wrapper
(:func:`.profiling.timed`, :func:`timers`) split every iteration into
:data:`PARTS`:

- ``data``: ``next()`` on the dataloader's iterator: with
  ``num_workers=0`` (the tiny config) the whole pipeline (frame loading,
  augmentations, packing) and collation; with workers, the wait for them;
- ``data preprocessor``: normalisation, padding, batching onto the device;
- ``backbone+neck``, ``encoder``: every frame of the batch;
- ``decoder``: the head's forward, the query path: initial queries,
  decoder layers (box and instance paths), class and box branches;
- ``mask head``: the mask branch's features and the dynamic mask head of
  the matched queries of every layer;
- ``matcher``: the Hungarian assignment of every layer and clip
  (``VideoSetCriterion.match``: costs and ``linear_sum_assignment``);
- ``losses``: the rest of the head's loss (ground-truth targets, class,
  box and mask losses);
- ``backward``: the optim wrapper's ``backward`` (loss scaling included);
- ``gradient clipping``: the optim wrapper's ``_clip_grad``;
- ``optimizer step``: the optim wrapper's ``step`` less the clipping, and
  ``zero_grad``;
- ``other``: the iteration's total less the parts: the encoder's input
  preparation (padding masks, positional encodings), ``parse_losses``,
  the forward's dispatch, Python between the parts.

Every part is the median over the timed iterations (after the warm-up
ones); ``other`` is the median total less their sum, so the rows add up
to the total. Timers synchronise a CUDA device at both ends.
"""
import os.path as osp
import shutil
import tempfile
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Tuple

import torch

from .markdown import markdown_table
from .profiling import operator_table, timed
from .timing import median, synchronize

#: Part -> (timed labels added, timed labels subtracted): a part is the
#: time of its methods less that of the timed methods they call.
PARTS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    'data': (('data', ), ()),
    'data preprocessor': (('data preprocessor', ), ()),
    'backbone+neck': (('backbone', 'neck'), ()),
    'encoder': (('encoder', ), ()),
    'decoder': (('head forward', ), ()),
    'mask head': (('mask branch', 'dynamic mask head'), ()),
    'matcher': (('match', ), ()),
    'losses': (('head loss', ), ('head forward', 'mask branch',
                                 'dynamic mask head', 'match')),
    'backward': (('backward', ), ()),
    'gradient clipping': (('clip', ), ()),
    'optimizer step': (('step', 'zero_grad'), ('clip', )),
}


def timers(model: torch.nn.Module,
           optim_wrapper) -> List[Tuple[str, object, str]]:
    """(label, owner, method) of every timed method of a SeqFormer and its
    ``OptimWrapper`` (the labels of :data:`PARTS`)."""
    head = model.track_head
    return [
        ('data preprocessor', model.data_preprocessor, 'forward'),
        ('backbone', model.backbone, 'forward'),
        ('neck', model.neck, 'forward'),
        ('encoder', model.encoder, 'forward'),
        ('head loss', head, 'loss'),
        ('head forward', head, 'forward'),
        ('mask branch', head, 'mask_features'),
        ('dynamic mask head', head, 'instance_masks'),
        ('match', head.criterion, 'match'),
        ('backward', optim_wrapper, 'backward'),
        ('clip', optim_wrapper, '_clip_grad'),
        ('step', optim_wrapper, 'step'),
        ('zero_grad', optim_wrapper, 'zero_grad'),
    ]


def parts_of(totals: Dict[str, float]) -> Dict[str, float]:
    """Seconds of every part of :data:`PARTS` from one iteration's timed
    labels (a label that did not run counts 0)."""
    return {
        part: sum(totals.get(label, 0.0) for label in added) -
        sum(totals.get(label, 0.0) for label in subtracted)
        for part, (added, subtracted) in PARTS.items()
    }


def build_training(config: str,
                   cfg_options: Optional[dict] = None,
                   data_root: Optional[str] = None) -> tuple:
    """The model, optim wrapper and train dataloader of ``config`` (a file
    or a shipped config's name), built by an mmengine ``Runner`` in a
    temporary work dir, with ``cfg_options`` merged and the train dataset's
    ``data_root`` replaced by ``data_root`` if given.

    Raises:
        UserInputError: The config or the training data is missing or
            unreadable (the message names the file).
    """
    from mmengine.runner import Runner

    from mmseqformer.utils import read_config
    cfg = read_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root is not None:
        cfg.train_dataloader.dataset.data_root = osp.join(data_root, '')
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'  # no environment and config dump
    work_dir = tempfile.mkdtemp(prefix='train_profile_')
    try:
        cfg.work_dir = work_dir
        # Visualisers are process-wide singletons by name: a later runner
        # naming the config's one must not get this one, whose files went
        # with the temporary work dir.
        cfg.visualizer = dict(
            cfg.get('visualizer') or dict(type='Visualizer'),
            name=osp.basename(work_dir),
            vis_backends=None)
        runner = Runner.from_cfg(cfg)
        dataloader = runner.build_dataloader(
            cfg.train_dataloader, seed=runner.seed)
        optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return runner.model, optim_wrapper, dataloader


def endless(dataloader) -> Callable[[], object]:
    """A function returning the next batch, starting the dataloader again
    when it ends (as ``IterBasedTrainLoop`` does)."""
    iterator = iter(dataloader)

    def next_batch():
        nonlocal iterator
        try:
            return next(iterator)
        except StopIteration:
            iterator = iter(dataloader)
            return next(iterator)

    return next_batch


def profile_training(config: str,
                     iters: int = 20,
                     warmup: int = 3,
                     cfg_options: Optional[dict] = None,
                     data_root: Optional[str] = None,
                     ops: int = 0) -> dict:
    """Time ``warmup`` then ``iters`` training iterations of ``config``,
    part by part (the module's docstring says what each part holds).

    Args:
        config (str): A config file or a shipped config's name.
        iters (int): Timed iterations (at least 1).
        warmup (int): Untimed iterations first (first-call costs: oneDNN
            primitives, the allocator).
        cfg_options (dict, optional): Merged into the config.
        data_root (str, optional): The train dataset's data root.
        ops (int): Also profile one more iteration with ``torch.profiler``
            and list its ``ops`` costliest operators (0: do not).

    Returns:
        dict: ``parts`` (part -> median seconds per iteration, ``other``
        last), ``total`` (median seconds per iteration), ``iterations``
        (every timed iteration's parts and ``total``), ``device``,
        ``threads``, ``batch_size``, ``table`` (markdown: part, s / iter,
        share) and ``operators`` (markdown, or None without ``ops``).
    """
    if iters < 1:
        raise ValueError(f'iters must be at least 1, not {iters}')
    model, optim_wrapper, dataloader = build_training(config, cfg_options,
                                                      data_root)
    device = str(next(model.parameters()).device)
    totals = defaultdict(float)
    for label, owner, name in timers(model, optim_wrapper):
        timed(owner, name, label, totals, device)
    next_batch = endless(dataloader)
    model.train()

    def iteration() -> None:
        synchronize(device)
        start = time.perf_counter()
        batch = next_batch()
        totals['data'] += time.perf_counter() - start
        model.train_step(batch, optim_wrapper)
        synchronize(device)
        totals['total'] += time.perf_counter() - start

    iterations = []
    for index in range(warmup + iters):
        totals.clear()
        iteration()
        if index >= warmup:
            iterations.append(dict(parts_of(totals), total=totals['total']))
    parts = {part: median([i[part] for i in iterations]) for part in PARTS}
    total = median([i['total'] for i in iterations])
    parts['other'] = total - sum(parts.values())
    result = dict(
        parts=parts,
        total=total,
        iterations=iterations,
        device=device,
        threads=torch.get_num_threads(),
        batch_size=getattr(dataloader.batch_sampler, 'batch_size',
                           dataloader.batch_size),
        table=part_table(parts, total),
        operators=None)
    if ops > 0:
        result['operators'] = operator_table(iteration, 1, ops, 'iteration')
    return result


def part_table(parts: Dict[str, float], total: float) -> str:
    """Markdown: every part's median seconds per iteration and share of
    the total, then the total."""
    rows = [[part, f'{seconds:.4f}', f'{seconds / total:.1%}']
            for part, seconds in parts.items()]
    return markdown_table(['part', 's / iter', 'share'],
                          rows + [['total', f'{total:.4f}', '100.0%']])


def report(config: str, iters: int, warmup: int, result: dict) -> str:
    """The header line, the part table and the operators if profiled."""
    lines = [
        f'{config}: {iters} iterations after {warmup} warm-up, batch of '
        f'{result["batch_size"]} clips, {result["device"]}, '
        f'{result["threads"]} threads: {result["total"]:.3f} s/iter '
        '(medians; hooks not included)', result['table']
    ]
    if result['operators'] is not None:
        lines += [
            '', 'Operators of one more iteration (self CPU time):',
            result['operators']
        ]
    return '\n'.join(lines)

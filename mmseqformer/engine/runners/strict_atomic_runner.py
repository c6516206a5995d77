"""mmengine's Runner, loading checkpoints strictly and saving them atomically.

mmengine's ``Runner`` loads ``load_from`` (testing) and resumed checkpoints
non-strictly, so a checkpoint of another model gives a mostly random model
and a single warning; and it writes ``iter_N.pth`` and ``last_checkpoint``
in place, so a kill while saving leaves a truncated newest checkpoint that
auto-resume then picks. :class:`StrictAtomicRunner` fixes both, and adds
fine-tuning on other classes (``finetune_cfg``); the tools select it
(``runner_type``, set by :func:`~mmseqformer.utils.load_tool_config`).
"""
import contextlib
import os
import os.path as osp
from types import ModuleType
from typing import Callable, Iterator, Optional, Sequence, Union

import mmengine.hooks.checkpoint_hook as checkpoint_hook_module
import torch
from mmengine.config import Config
from mmengine.dist import master_only
from mmengine.model import is_model_wrapper
from mmengine.registry import MODELS, RUNNERS, DefaultScope
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmseqformer.utils.atomic_io import (atomic_open, remove_stale_temporaries,
                                         temporary_path)
# yapf: disable  (isort lays out this import)
from mmseqformer.utils.checkpoint_fit import (DEFAULT_REVISE_KEYS,
                                              CheckpointMismatchError,
                                              check_fits, check_load_from,
                                              checkpoint_state_dict,
                                              describe_problems,
                                              describe_reinit, read_checkpoint,
                                              split_for_finetuning)

# yapf: enable

#: Final names whose temporaries a save removes (leftovers of kills).
CHECKPOINT_NAMES = r'.+\.pth|last_checkpoint'
#: The last line of a mismatch message.
NON_STRICT_HINT = ('To load it anyway (keys that do not fit are skipped), '
                   'pass --non-strict (config: strict_load=False).')


@RUNNERS.register_module()
class StrictAtomicRunner(Runner):
    """A ``Runner`` whose checkpoints fit and are never half-written.

    * **Strict loading.** A checkpoint loaded for testing (``load_from``)
      or resuming must match the model key for key and shape for shape;
      otherwise :class:`~mmseqformer.utils.CheckpointMismatchError` names
      the file and the first missing, unexpected and misshapen keys with
      their counts. A file torch cannot read is named too. ``load_from``
      when *training* stays non-strict: fine-tuning from pretrained weights
      that lack some layers is the recipe (mmengine logs what did not fit).
      The config key ``strict_load=False`` turns the check off. A
      ``load_from`` that is a missing local file stops training before it
      starts, with the way to make it
      (:class:`~mmseqformer.utils.checkpoint_fit.LoadFromNotFoundError`).
    * **Fine-tuning on other classes.** With the config key
      ``finetune_cfg=dict(reinit_keys=[regex, ...])``, training starts from
      ``load_from`` with the matching keys (the class heads, whose rows are
      the classes) left as initialised and every other key loaded, which
      must then fit exactly (else
      :class:`~mmseqformer.utils.CheckpointMismatchError` with the keys;
      ``strict_load=False`` loads what fits). The log lists the
      re-initialised keys with both shapes and says that all others were
      loaded. Resuming is unaffected (the run's own checkpoints fit).
    * **Atomic saving.** A checkpoint is written under a hidden temporary
      name in its folder and renamed; ``last_checkpoint`` is replaced the
      same way. A kill at any moment leaves every ``*.pth`` complete and
      ``last_checkpoint`` naming a complete file; the next save removes the
      temporary file a kill may leave. (Local folders only; other backends
      are written as mmengine does.)

    NOTE: mmengine's ``CheckpointHook`` writes ``last_checkpoint`` with a
    plain ``open(path, 'w')``; during :meth:`train` that module's ``open``
    is :func:`~mmseqformer.utils.atomic_open`, which only differs for
    writes.
    """

    strict_load = True
    #: ``dict(reinit_keys=[...])`` to fine-tune on other classes, or None.
    finetune_cfg: Optional[dict] = None

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'StrictAtomicRunner':
        """Build from a config; ``cfg.strict_load`` (default True) sets
        :attr:`strict_load`, ``cfg.finetune_cfg`` (default None)
        :attr:`finetune_cfg`."""
        runner = super().from_cfg(cfg)
        runner.strict_load = bool(cfg.get('strict_load', True))
        finetune_cfg = cfg.get('finetune_cfg')
        runner.finetune_cfg = None if finetune_cfg is None else dict(
            finetune_cfg)
        return runner

    def train(self) -> torch.nn.Module:
        """Train, with ``last_checkpoint`` written atomically."""
        self._training = True
        with _atomic_writes_in(checkpoint_hook_module):
            return super().train()

    def load_or_resume(self) -> None:
        """Resume, or load ``load_from``: strictly for testing; for
        training non-strictly, or for fine-tuning (``finetune_cfg``) with
        the class heads re-initialised."""
        if self._has_loaded or self._resume or self._load_from is None:
            return super().load_or_resume()
        training = getattr(self, '_training', False)
        if training:
            check_load_from(self._load_from, getattr(self.cfg, 'filename',
                                                     None))
        if training and self.finetune_cfg is not None:
            self.load_for_finetuning(self._load_from,
                                     self.finetune_cfg.get('reinit_keys', ()))
        else:
            strict = self.strict_load and not training
            self.load_checkpoint(self._load_from, strict=strict)
        self._has_loaded = True

    def load_for_finetuning(
        self,
        filename: str,
        reinit_keys: Sequence[str],
        map_location: Union[str, Callable] = 'cpu',
        revise_keys: list = list(DEFAULT_REVISE_KEYS)
    ) -> dict:
        """Load a checkpoint trained on other classes to fine-tune it.

        The model keys matching ``reinit_keys`` keep their initialisation
        (whatever the checkpoint holds for them: its rows are its own
        classes); every other key is loaded and, with :attr:`strict_load`,
        must fit exactly. The log lists the re-initialised keys with their
        shapes and counts the loaded ones.

        Args:
            filename (str): The checkpoint.
            reinit_keys (Sequence[str]): Regular expressions (re.search) of
                the keys to re-initialise, e.g.
                ``[r'^track_head\\.cls_branches\\.']``.
            map_location (str or callable): As :func:`torch.load`.
            revise_keys (list): ``(pattern, replacement)`` key renames.

        Returns:
            dict: The checkpoint.
        """
        checkpoint = read_checkpoint(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        state = checkpoint_state_dict(checkpoint, revise_keys)
        reference = model.state_dict()
        to_load, reinit, problems = split_for_finetuning(
            state, reference, reinit_keys)
        if problems and self.strict_load:
            raise CheckpointMismatchError('\n'.join([
                f'{filename} does not fit the model ({type(model).__name__}) '
                f'apart from the re-initialised keys (finetune_cfg.'
                f'reinit_keys={list(reinit_keys)}):',
                describe_problems(problems), NON_STRICT_HINT
            ]))
        if problems:
            self.logger.warning(
                f'Fine-tuning from {filename}: keys skipped (strict_load='
                f'False):\n{describe_problems(problems)}')
            # torch refuses misshapen tensors even when not strict.
            for key in [
                    key for key, value in to_load.items()
                    if key in reference and value.shape != reference[key].shape
            ]:
                del to_load[key]
        # The fit is settled above; torch's loader (not strict) then says
        # nothing about the keys left out on purpose.
        model.load_state_dict(to_load, strict=False)
        loaded = sum(1 for key in reference if key in to_load)
        others = len(reference) - len(reinit)
        loaded_line = (f'All other {loaded} key(s) of the model loaded from '
                       f'{filename}.' if loaded == others else
                       f'{loaded} of the other {others} key(s) of the model '
                       f'loaded from {filename}, {others - loaded} skipped '
                       '(above).')
        self.logger.info(
            f'Fine-tuning from {filename}: {len(reinit)} key(s) '
            're-initialised (finetune_cfg.reinit_keys), not loaded:\n' +
            describe_reinit(reinit, state, reference) + '\n' + loaded_line)
        self._has_loaded = True
        return checkpoint

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: Optional[bool] = None,
                        revise_keys: list = list(DEFAULT_REVISE_KEYS)):
        """Load a checkpoint into the model, checking that it fits first.

        Args:
            filename (str): The checkpoint (a local path or a URI).
            map_location (str or callable): As :func:`torch.load`.
            strict (bool, optional): Check the fit; None (what ``resume``
                passes) means :attr:`strict_load`.
            revise_keys (list): ``(pattern, replacement)`` key renames.

        Returns:
            dict: The checkpoint.
        """
        if strict is None:
            strict = self.strict_load
        checkpoint = read_checkpoint(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        if strict:
            check_fits(model, checkpoint, filename, revise_keys,
                       NON_STRICT_HINT)
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        *args,
                        backend_args: Optional[dict] = None,
                        **kwargs) -> None:
        """Save as mmengine does, under a temporary name, then rename.

        Args:
            out_dir (str): The checkpoint folder.
            filename (str): The checkpoint's name.
            file_client_args, backend_args (dict, optional), *args,
                **kwargs: As ``Runner.save_checkpoint``.
        """
        if '://' in out_dir or file_client_args or backend_args:
            return super().save_checkpoint(
                out_dir,
                filename,
                file_client_args,
                *args,
                backend_args=backend_args,
                **kwargs)
        remove_stale_temporaries(out_dir, CHECKPOINT_NAMES)
        remove_stale_temporaries(self.work_dir, CHECKPOINT_NAMES)
        path = osp.join(out_dir, filename)
        tmp_path = temporary_path(path)
        try:
            super().save_checkpoint(out_dir, osp.basename(tmp_path), None,
                                    *args, **kwargs)
            os.replace(tmp_path, path)
        finally:
            if osp.exists(tmp_path):
                os.remove(tmp_path)


def check_checkpoint_fits_config(cfg: Config, checkpoint: str) -> None:
    """Stop before anything runs if ``checkpoint`` does not fit the model
    of ``cfg`` (tools call it before building the runner, so a mismatch
    writes nothing, not even a log folder).

    The model is built on the ``meta`` device: only its keys and shapes
    are needed, so this allocates no weights.

    Args:
        cfg (Config): The config (``model``, ``default_scope``).
        checkpoint (str): The checkpoint file.
    """
    loaded = read_checkpoint(checkpoint, map_location='cpu')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')), \
            torch.device('meta'):
        model = MODELS.build(cfg.model)
    check_fits(model, loaded, checkpoint, hint=NON_STRICT_HINT)


@contextlib.contextmanager
def _atomic_writes_in(module: ModuleType) -> Iterator[None]:
    """Within the block, ``open(path, 'w')`` in ``module`` replaces the
    file atomically (:func:`~mmseqformer.utils.atomic_open`)."""
    previous = vars(module).get('open')
    module.open = atomic_open
    try:
        yield
    finally:
        if previous is None:
            del module.open
        else:
            module.open = previous

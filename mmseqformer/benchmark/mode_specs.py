"""Inference modes as written on a command line: ``window:8``,
``clips:5:2``, ``window:8:similarity_thr=0.3``, ``offline:none``,
``online:soft_duplicates=false``."""
import re
from dataclasses import dataclass

#: Options a mode takes without their name, in order (``window:8``).
POSITIONAL_OPTIONS = dict(
    offline=('chunk_size', ),
    online=(),
    window=('window', ),
    clips=('clip_length', 'overlap'))


@dataclass
class ModeSpec:
    """A mode and its options, as written on the command line.

    Attributes:
        label (str): As given, e.g. ``window:8``.
        mode (str): One of ``mmseqformer.apis.MODES``.
        options (dict): Keyword arguments of :func:`inference_vis` and
            :func:`stream_vis` for the mode.
    """
    label: str
    mode: str
    options: dict

    @property
    def file_stem(self) -> str:
        return re.sub(r'[^A-Za-z0-9_.-]+', '-', self.label)


#: Option values written as words (any case).
WORDS = dict(none=None, true=True, false=False)


def _option_value(text: str, label: str):
    if text.lower() in WORDS:
        return WORDS[text.lower()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise ValueError(f'mode {label!r}: {text!r} is not a number, true, '
                     'false or none')


def parse_mode_spec(label: str) -> ModeSpec:
    """``window:8:similarity_thr=0.3`` -> ModeSpec('window:8:...',
    'window', {'window': 8, 'similarity_thr': 0.3}).

    Raises:
        ValueError: Naming the spec: an unknown mode or option, a value
            that is not a number, true, false or none, an option given
            twice.
    """
    from mmseqformer.apis import MODES
    from mmseqformer.models.vis import mode_option_names
    mode, *parts = label.split(':')
    if mode not in MODES:
        raise ValueError(f'mode {label!r}: {mode!r} is not one of {MODES}')
    positional = POSITIONAL_OPTIONS[mode]
    allowed = mode_option_names(mode)
    options = {}
    for index, part in enumerate(parts):
        if '=' in part:
            key, value = part.split('=', 1)
        elif index < len(positional) and '=' not in ''.join(parts[:index]):
            key, value = positional[index], part
        else:
            raise ValueError(
                f'mode {label!r}: {part!r} needs a name (KEY=VALUE); '
                f'{mode} takes {len(positional)} value(s) without one '
                f'({", ".join(positional) or "none"})')
        if key not in allowed:
            raise ValueError(f'mode {label!r}: {mode} has no option {key!r} '
                             f'(options: {", ".join(allowed)})')
        if key in options:
            raise ValueError(f'mode {label!r}: {key!r} given twice')
        options[key] = _option_value(value, label)
    return ModeSpec(label, mode, options)

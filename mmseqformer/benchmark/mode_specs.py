"""Inference modes as written on a command line: ``window:8``,
``clips:5:2``, ``window:8:similarity_thr=0.3``, ``offline:none``."""
import inspect
import re
from dataclasses import dataclass
from typing import List

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


#: Constructor arguments of the inference classes that are not the mode's
#: options (:func:`build_video_inference` passes them).
NOT_OPTIONS = ('self', 'model', 'num_frames', 'amp')


def mode_option_names(mode: str) -> List[str]:
    """The options a mode accepts: its inference class's constructor
    arguments (``chunk_size`` for offline, ``window`` for window...)."""
    from mmseqformer.models.vis import VIDEO_INFERENCES
    names = []
    for klass in VIDEO_INFERENCES[mode].__mro__:
        if '__init__' not in vars(klass):
            continue
        for name, parameter in inspect.signature(
                klass.__init__).parameters.items():
            if parameter.kind == parameter.POSITIONAL_OR_KEYWORD and \
                    name not in NOT_OPTIONS and name not in names:
                names.append(name)
    return names


def _option_value(text: str, label: str):
    if text.lower() == 'none':
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise ValueError(f'mode {label!r}: {text!r} is not a number')


def parse_mode_spec(label: str) -> ModeSpec:
    """``window:8:similarity_thr=0.3`` -> ModeSpec('window:8:...',
    'window', {'window': 8, 'similarity_thr': 0.3}).

    Raises:
        ValueError: Naming the spec: an unknown mode or option, a value
            that is not a number, an option given twice.
    """
    from mmseqformer.apis import MODES
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

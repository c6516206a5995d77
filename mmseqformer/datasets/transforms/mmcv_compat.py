"""Make mmcv's ``RandomChoice`` usable inside a shared-randomness broadcast.

mmcv 2.1.0 records the methods decorated with ``cache_randomness`` in a
class-level list that subclasses share with their parent. mmdet's
``AutoAugment(RandomChoice)`` re-decorates ``random_pipeline_index``, so once
mmdet's transforms are imported, ``RandomChoice`` lists that method twice;
``cache_random_params`` then wraps it twice and
``TransformBroadcaster(share_random_params=True)`` fails with "should be
invoked at most once" on every clip. The official SeqFormer augmentation is
a random choice between two resize pipelines applied to all frames of a clip,
so it needs this to work.
"""
from mmcv.transforms import BaseTransform


def _all_subclasses(cls: type):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _all_subclasses(subclass)


def dedupe_random_method_lists() -> None:
    """Remove repeated names from every transform's random-method list.

    The lists are edited in place, since parent and subclasses share them.
    """
    for cls in _all_subclasses(BaseTransform):
        names = cls.__dict__.get('_methods_with_randomness')
        if names is not None and len(set(names)) < len(names):
            names[:] = list(dict.fromkeys(names))

"""Drop a training clip that has no instance left after augmentation."""
from typing import Optional

from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DropClipWithoutInstances(BaseTransform):
    """Return None for a clip with no ground-truth box in any frame.

    The official code keeps an instance when at least one of its frames still
    has a box after cropping, and draws another item when none is left
    (``transforms_clip.Check``). mmengine's dataset draws another item when a
    pipeline returns None, so this transform only has to say so.

    Put it after the broadcast transforms (per-frame lists) and before
    ``PackTrackInputs``.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Keep ``results`` if any frame's ``gt_bboxes`` is non-empty.

        Args:
            results (dict): Clip results; ``gt_bboxes`` is a list with one
                box set per frame.

        Returns:
            dict | None: ``results``, or None when every frame is empty.
        """
        if any(len(boxes) > 0 for boxes in results.get('gt_bboxes', [])):
            return results
        return None

"""COCO images as one-frame videos labelled in another dataset's classes."""
from typing import Dict, List

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS
from mmengine.fileio import get_local_path

from .ytvis_format import VISAnnotationError


@DATASETS.register_module()
class CocoPseudoVideoDataset(CocoDataset):
    """COCO instances relabelled into video classes, for pseudo clips.

    Only annotations whose COCO category is in ``category_map`` are kept,
    with the label of the mapped class in ``metainfo['classes']``; crowd
    annotations are dropped and images left without an instance are skipped
    (official ``coco2seq.py``). Pair it with ``ImageToPseudoClip`` in the
    pipeline to train a video model on COCO.

    Args:
        category_map (dict[int, str]): COCO category id -> class name, e.g.
            :data:`~mmseqformer.datasets.coco_to_ytvis.COCO_TO_YTVIS19`.
        **kwargs: As :class:`mmdet.datasets.CocoDataset`; ``metainfo`` must
            give the video dataset's ``classes``.
    """

    # Not COCO's 80 classes and palette: the classes come from metainfo.
    METAINFO: dict = {}

    def __init__(self, category_map: Dict[int, str], **kwargs) -> None:
        self.category_map = {int(k): v for k, v in category_map.items()}
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the kept images with relabelled instances."""
        classes = self._metainfo['classes']
        unknown = sorted(set(self.category_map.values()) - set(classes))
        if unknown:
            raise VISAnnotationError(
                f'{self.ann_file}: category_map targets {unknown}, which are '
                'not in metainfo["classes"]')
        with get_local_path(self.ann_file) as local_path:
            self.coco = COCO(local_path)
        self.cat_ids = sorted(cat for cat in self.category_map
                              if cat in self.coco.cats)
        self.cat2label = {
            cat: classes.index(self.category_map[cat])
            for cat in self.cat_ids
        }
        self._metainfo['cat_ids'] = tuple(self.cat_ids)
        data_list = []
        for img_id in self.coco.get_img_ids():
            ann_ids = self.coco.get_ann_ids(
                img_ids=[img_id], cat_ids=self.cat_ids)
            anns = [
                ann for ann in self.coco.load_anns(ann_ids)
                if not ann.get('iscrowd', False)
            ]
            raw_img_info = dict(
                self.coco.load_imgs([img_id])[0], img_id=img_id)
            info = self.parse_data_info(
                dict(raw_img_info=raw_img_info, raw_ann_info=anns))
            if info['instances']:
                data_list.append(info)
        del self.coco
        return data_list

    def filter_data(self) -> List[dict]:
        """Nothing more to filter: empty images were skipped at loading."""
        return self.data_list

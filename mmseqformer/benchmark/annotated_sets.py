"""The videos of a YouTube-VIS annotation file, read as ``tools/test.py``
reads them, for the mode comparison (:mod:`.mode_comparison`)."""
import os.path as osp
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator, List, Tuple

import numpy as np

from mmseqformer.apis import VideoSource
from mmseqformer.datasets.converters.ytvis_to_cocovid import \
    load_vis_annotations
from mmseqformer.datasets.transforms import check_frame_file
from mmseqformer.datasets.ytvis_format import VISAnnotationError

#: The file-reading steps a test pipeline may start with.
FRAME_LOADERS = ('LoadVideoFrameFromFile', 'LoadImageFromFile')


@dataclass
class AnnotatedSet:
    """The videos of one annotation file.

    Attributes:
        name (str): For tables and output files.
        ann_file (str): The annotation file (official or CocoVID layout).
        img_root (str): The folder its ``file_name`` s are relative to.
        videos (list[tuple[int, str, list[str]]]): id, name and frame
            paths (in frame order) of each video.
        categories (list[dict]): The file's categories.
    """
    name: str
    ann_file: str
    img_root: str
    videos: List[Tuple[int, str, List[str]]]
    categories: List[dict]

    @property
    def num_frames(self) -> int:
        return sum(len(paths) for _, _, paths in self.videos)


def load_annotated_set(ann_file: str,
                       img_root: str,
                       name: str = 'set') -> AnnotatedSet:
    """Read ``ann_file`` and check that every frame file it lists is an
    image (errors name the file, the video and the frame)."""
    content = load_vis_annotations(ann_file)
    frames = defaultdict(list)
    for image in content['images']:
        frames[image['video_id']].append(
            (image['frame_id'], osp.join(img_root, image['file_name'])))
    videos = []
    for video in content['videos']:
        paths = [path for _, path in sorted(frames[video['id']])]
        if not paths:
            raise VISAnnotationError(
                f'{ann_file}: video {video["id"]} lists no frame')
        for index, path in enumerate(paths):
            problem = check_frame_file(path)
            if problem is not None:
                raise VISAnnotationError(
                    f'{ann_file}: video {video["id"]} frame {index}: {path} '
                    f'{problem} (is --img-root {img_root} right?)')
        videos.append((video['id'], video.get('name')
                       or osp.basename(osp.dirname(paths[0])), paths))
    return AnnotatedSet(name, ann_file, img_root, videos,
                        content['categories'])


class AnnotatedVideo(VideoSource):
    """The frames an annotation file lists for one video, decoded as they
    are read, by the config's own file-loading step (the frames
    ``tools/test.py`` gives the model).

    Args:
        name (str): The video's name.
        video_id (int): Its id (for error messages).
        paths (list[str]): Frame files in order.
        load_frame (callable): The loading transform (results dict in,
            results dict with ``img`` out).
    """

    def __init__(self, name: str, video_id: int, paths: List[str],
                 load_frame) -> None:
        self.name, self.video_id, self.paths = name, video_id, paths
        self.load_frame = load_frame

    def __iter__(self) -> Iterator[np.ndarray]:
        for frame_id, path in enumerate(self.paths):
            yield self.load_frame(
                dict(img_path=path, video_id=self.video_id,
                     frame_id=frame_id))['img']

    def __len__(self) -> int:
        return len(self.paths)


def build_frame_loader(cfg):
    """The first file-loading step of the config's test pipeline
    (``LoadVideoFrameFromFile`` with its decoding backend)."""
    from mmdet.registry import TRANSFORMS
    pipeline = cfg.test_dataloader.dataset.pipeline
    steps = pipeline[0].get('transforms', []) + list(pipeline)
    for step in steps:
        if step.get('type') in FRAME_LOADERS:
            return TRANSFORMS.build(step)
    return TRANSFORMS.build(dict(type='LoadVideoFrameFromFile'))


def label_category_ids(class_names, categories: List[dict],
                       ann_file: str) -> List[int]:
    """The annotation file's category id of each model label, by name;
    without class names, the file's categories in id order (as
    ``YouTubeVISFormatDataset``)."""
    if not class_names:
        return sorted(category['id'] for category in categories)
    by_name = {category['name']: category['id'] for category in categories}
    missing = [name for name in class_names if name not in by_name]
    if missing:
        raise VISAnnotationError(
            f'{ann_file}: no category named {missing[0]!r}, a class of the '
            f'model (its classes: {list(class_names)}; the file\'s: '
            f'{sorted(by_name)})')
    return [by_name[name] for name in class_names]


def set_names(ann_files: List[str]) -> List[str]:
    """``valid`` for ``.../valid.json``; numbered where names repeat."""
    names = [osp.splitext(osp.basename(path))[0] for path in ann_files]
    return [
        f'{name}_{index}' if names.count(name) > 1 else name
        for index, name in enumerate(names)
    ]

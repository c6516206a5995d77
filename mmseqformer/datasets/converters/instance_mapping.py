"""The id -> category mapping that goes with a folder of instance-id PNGs.

A PNG holds instance ids only; this small JSON file gives each id its
category, for all videos at once or per video::

    {
      "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "dog"}],
      "instances": {"1": "person", "2": "dog"},
      "videos": {"cam02": {"1": "dog", "3": 1}},
      "video_ids": {"cam01": 7, "cam02": 8}
    }

* ``instances``: the global map, used for every video;
* ``videos``: per-video maps (by folder name), which take precedence over
  the global one for their video;
* a category is given by name or by id;
* ``categories`` (optional): the dataset's categories; without it the
  names used become categories 1..K in alphabetical order (ids can then
  not be used);
* ``video_ids`` (optional): the YouTube-VIS id of each video folder; the
  others are numbered after the largest given id, in name order.

The shortest form is a global map alone: ``{"1": "person", "2": "dog"}``.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..ytvis_format import VISAnnotationError, check_categories

_SECTIONS = ('categories', 'instances', 'videos', 'video_ids')


@dataclass
class InstanceMapping:
    """A parsed mapping file.

    Attributes:
        categories (list[dict]): ``{id, name, ...}`` in file order.
        instances (dict[int, int]): Global instance id -> category id.
        videos (dict[str, dict[int, int]]): Per-video maps.
        video_ids (dict[str, int]): Video folder -> YouTube-VIS id.
        path (str): The file, for error messages.
    """
    categories: List[dict]
    instances: Dict[int, int] = field(default_factory=dict)
    videos: Dict[str, Dict[int, int]] = field(default_factory=dict)
    video_ids: Dict[str, int] = field(default_factory=dict)
    path: str = 'mapping'

    def category_of(self, video: str, instance_id: int) -> Optional[int]:
        """The category id of an instance of a video, or None if unmapped."""
        per_video = self.videos.get(video, {})
        if instance_id in per_video:
            return per_video[instance_id]
        return self.instances.get(instance_id)

    def number_videos(self, names: List[str]) -> Dict[str, int]:
        """YouTube-VIS ids of the video folders ``names`` (in their
        order): the given ones, then the next free ids."""
        next_id = max(self.video_ids.values(), default=0) + 1
        ids = {}
        for name in names:
            if name in self.video_ids:
                ids[name] = self.video_ids[name]
            else:
                ids[name] = next_id
                next_id += 1
        return ids

    def to_json(self) -> dict:
        """The file's content (per-video maps with category ids)."""
        content = dict(categories=self.categories)
        for key in ('instances', 'videos', 'video_ids'):
            value = getattr(self, key)
            if value:
                content[key] = value
        return content


def _instance_id(key: str, where: str) -> int:
    try:
        value = int(key)
    except ValueError:
        value = 0
    if value < 1 or str(value) != key:
        raise VISAnnotationError(
            f'{where}: the key "{key}" is not an instance id (an integer '
            '>= 1, the pixel value in the PNGs)')
    return value


def _read_map(raw, by_name: Dict[str, int], by_id: Dict[int, dict],
              where: str) -> Dict[int, int]:
    """An ``{"id": category}`` object as instance id -> category id."""
    if not isinstance(raw, dict):
        raise VISAnnotationError(
            f'{where} must be an object {{"instance id": category}}, got '
            f'{type(raw).__name__}')
    out = {}
    for key, category in raw.items():
        instance_id = _instance_id(key, where)
        if isinstance(category, str):
            if category not in by_name:
                raise VISAnnotationError(
                    f'{where}["{key}"]: unknown category "{category}"; the '
                    f'categories are {sorted(by_name)}')
            out[instance_id] = by_name[category]
        elif isinstance(category, int) and not isinstance(category, bool):
            if category not in by_id:
                raise VISAnnotationError(
                    f'{where}["{key}"]: unknown category id {category}; the '
                    f'category ids are {sorted(by_id)}'
                    if by_id else f'{where}["{key}"]: the category id '
                    f'{category} needs a "categories" list (or use names)')
            out[instance_id] = category
        else:
            raise VISAnnotationError(
                f'{where}["{key}"]: a category is a name or an id, got '
                f'{category!r}')
    return out


def _names_used(maps: List) -> List[str]:
    return sorted({
        value
        for raw in maps if isinstance(raw, dict) for value in raw.values()
        if isinstance(value, str)
    })


def parse_instance_mapping(content: dict, path: str) -> InstanceMapping:
    """Parse and check a mapping file's content.

    Args:
        content (dict): The parsed JSON.
        path (str): Its path, for error messages.

    Returns:
        InstanceMapping: The mapping.
    """
    if content and all(key.isdigit() for key in content):
        content = dict(instances=content)  # the short form: a global map
    unknown = sorted(set(content) - set(_SECTIONS))
    if unknown:
        raise VISAnnotationError(
            f'{path}: unknown key(s) {unknown}; a mapping file has '
            f'{list(_SECTIONS)} (or is one map {{"1": "person", ...}})')
    videos_raw = content.get('videos') or {}
    if not isinstance(videos_raw, dict):
        raise VISAnnotationError(
            f'{path}: "videos" must be an object {{"video folder": '
            f'{{"instance id": category}}}}')
    if content.get('categories') is not None:
        categories = [
            dict(c) for c in check_categories(content, path).values()
        ]
    else:
        names = _names_used([content.get('instances')] +
                            list(videos_raw.values()))
        categories = [
            dict(id=index, name=name)
            for index, name in enumerate(names, start=1)
        ]
    by_name = {c['name']: c['id'] for c in categories}
    by_id = {c['id']: c for c in categories}
    mapping = InstanceMapping(categories=categories, path=path)
    mapping.instances = _read_map(
        content.get('instances') or {}, by_name, by_id, f'{path}: "instances"')
    mapping.videos = {
        str(video): _read_map(raw, by_name, by_id,
                              f'{path}: "videos"["{video}"]')
        for video, raw in videos_raw.items()
    }
    video_ids = content.get('video_ids') or {}
    if not isinstance(video_ids, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool)
            for v in video_ids.values()):
        raise VISAnnotationError(
            f'{path}: "video_ids" must be an object {{"video folder": '
            'integer id}')
    seen: Dict[int, str] = {}
    for video, video_id in video_ids.items():
        if video_id in seen:
            raise VISAnnotationError(
                f'{path}: "video_ids" gives the id {video_id} to both '
                f'"{seen[video_id]}" and "{video}"')
        seen[video_id] = video
    mapping.video_ids = dict(video_ids)
    if not mapping.instances and not mapping.videos:
        raise VISAnnotationError(
            f'{path}: maps no instance id (give "instances" or "videos")')
    return mapping

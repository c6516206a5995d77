"""Helpers of the converter tests: what a loaded dataset holds, JSON
files."""
import json

import pycocotools.mask as mask_utils


def dataset_instances(dataset):
    """Per video id, per frame: the instances as the model would see them
    (file names, boxes, labels, masks decoded)."""
    out = {}
    for index in range(len(dataset)):
        video = dataset.get_data_info(index)
        frames = []
        for image in video['images']:
            instances = sorted(
                (inst['instance_id'], inst['bbox_label'], inst['bbox'],
                 mask_utils.decode(inst['mask']).tolist())
                for inst in image['instances'])
            frames.append((image['file_name'], instances))
        out[video['video_id']] = frames
    return out


def write_json(path, content):
    with open(path, 'w') as f:
        json.dump(content, f)
    return str(path)

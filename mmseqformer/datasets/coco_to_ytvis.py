"""COCO categories that overlap YouTube-VIS 2019.

The official joint training (``docs/notes/official_behaviour.md`` §4.4) maps
21 COCO ids to 20 YouTube-VIS 2019 classes. Its entry 74 (COCO "mouse") -> 24
is "fox" in YouTube-VIS 2019 (it looks copied from the 2021 map, where 24 is
"mouse"),
so COCO computer mice were trained as foxes. :data:`COCO_TO_YTVIS19` sends it
to "mouse" instead; :data:`COCO_TO_YTVIS19_OFFICIAL` keeps the official map for
exact reproduction.
"""

#: COCO category id -> YouTube-VIS 2019 class name (corrected).
COCO_TO_YTVIS19 = {
    1: 'person',
    2: 'motorbike',  # bicycle
    3: 'sedan',  # car
    4: 'motorbike',  # motorcycle
    5: 'airplane',
    7: 'train',
    8: 'truck',
    9: 'boat',
    17: 'cat',
    18: 'dog',
    19: 'horse',
    21: 'cow',
    22: 'elephant',
    23: 'bear',
    24: 'zebra',
    25: 'giraffe',
    36: 'snowboard',
    41: 'skateboard',
    42: 'surfboard',
    43: 'tennis_racket',
    74: 'mouse',
}

#: The official map, with COCO "mouse" (74) labelled "fox".
COCO_TO_YTVIS19_OFFICIAL = {**COCO_TO_YTVIS19, 74: 'fox'}

"""The test pipeline the evaluation tests load YouTube-VIS files with."""

#: Frames and their annotations, packed per video.
PIPELINE = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs'),
]

# OVIS (Occluded VIS), 25 classes, official layout read directly:
# data/ovis/{train,valid}/<video>/<frame>.jpg,
# data/ovis/annotations_{train,valid}.json
_base_ = ['./youtube_vis_2019.py']

data_root = 'data/ovis/'
classes = ('Person', 'Bird', 'Cat', 'Dog', 'Horse', 'Sheep', 'Cow', 'Elephant',
           'Bear', 'Zebra', 'Giraffe', 'Poultry', 'Giant_panda', 'Lizard',
           'Parrot', 'Monkey', 'Rabbit', 'Tiger', 'Fish', 'Turtle', 'Bicycle',
           'Motorcycle', 'Airplane', 'Boat', 'Vehical')

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations_train.json',
        data_prefix=dict(img_path='train')))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations_valid.json',
        data_prefix=dict(img_path='valid')))
test_dataloader = val_dataloader

val_evaluator = dict(outfile_prefix='./work_dirs/ovis_results')
test_evaluator = val_evaluator

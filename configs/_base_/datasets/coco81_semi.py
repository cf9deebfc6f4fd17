# COCO 2017, 81 classes (background + 80 things; labels made from the
# instance masks by tools/dataset_converters/coco_instances_to_semantic.py),
# semi-supervised: the labeled lists ship with the package
# (data_splits/coco/*_all.txt), the converter writes the unlabeled
# complements and val2017.txt under data/coco/splits. Same geometry, strong
# view and batch as the VOC base; evaluation on val2017 at the original size
# (the release pads to 641, which whole-image inference makes moot).
_base_ = './pascal_voc12_aug_semi.py'
data_root = 'data/coco'
load_labels = [
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=81),
]
labeled_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    _base_.weak_transforms + [dict(type='PackSegInputs')]
test_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    [dict(type='PackSegInputs')]
labeled_dataset = dict(
    type='COCO81Dataset',
    data_root=data_root,
    data_prefix=dict(img_path='', seg_map_path='semantic81'),
    ann_file=_base_.data_splits + '/coco/512_all.txt',
    pipeline=labeled_pipeline)
unlabeled_dataset = dict(
    type='COCO81Dataset',
    data_root=data_root,
    data_prefix=dict(img_path=''),  # no labels are loaded
    # All of train2017, the labeled ids included: the release's unlabeled
    # stream on VOC is all of train_aug, and the spec states no other for
    # COCO. splits/<split>/unlabeled.txt (written by the converter) is the
    # disjoint option.
    ann_file='splits/train2017.txt',
    pipeline=_base_.unlabeled_pipeline)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MixedDataset',
        labeled=labeled_dataset,
        unlabeled=unlabeled_dataset))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='COCO81Dataset',
        data_root=data_root,
        data_prefix=dict(img_path='', seg_map_path='semantic81'),
        ann_file='splits/val2017.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader

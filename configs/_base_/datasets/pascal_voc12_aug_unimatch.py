# Pascal VOC 2012 + SBD ("aug") for UniMatch / FixMatch as the release trains
# them (LiheYoung/UniMatch, dataset/semi.py, configs/pascal.yaml): crop 321,
# 2 labeled + 2 unlabeled images per GPU (4 GPUs), the labeled list
# repeated to the unlabeled list's length (MixedDataset), the split's
# unlabeled.txt (labeled ids excluded) as the unlabeled stream, and a
# second unlabeled draw per item, the mix batch (with_mix). Leaves set the
# split files.
_base_ = '../unimatch_strong_view.py'
data_root = 'data/VOCdevkit/VOC2012'
data_splits = '{{ fileDirname }}/../../../mmseg_pseudoseg/data_splits'
crop_size = (321, 321)
# Geometry shared by both streams (the weak view is exactly this): the long
# side scaled by U(0.5, 2.0) (VOC images' long side is 500, so scale
# (500, 500) with keep_ratio makes it 500 * U(0.5, 2.0), the release's
# image-relative factor), a random crop (mmseg's preprocessor pads image
# and label at the bottom and right; the unlabeled padding is the ignore
# mask) and a horizontal flip.
geometry = [
    dict(
        type='RandomResize',
        scale=(500, 500),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
load_labels = [
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=21),
]
labeled_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    geometry + [dict(type='PackSegInputs')]
# Each strong view as the release makes it (../unimatch_strong_view.py).
strong_transforms = _base_.unimatch_strong_transforms
# Two strong views of the same crop, one CutMix box each (p=0.5, area
# U(0.02, 0.4) of the crop, aspect U(0.3, 1/0.3)).
two_strong_views = [
    dict(type='StrongView', transforms=strong_transforms,
         to_key='img_strong1'),
    dict(type='StrongView', transforms=strong_transforms,
         to_key='img_strong2'),
    dict(type='RandomCutMixBox', crop_size=crop_size, key='cutmix_box1'),
    dict(type='RandomCutMixBox', crop_size=crop_size, key='cutmix_box2'),
    dict(type='PackMultiViewSegInputs'),
]
# FixMatch: one strong view.
one_strong_view = [
    dict(type='StrongView', transforms=strong_transforms,
         to_key='img_strong1'),
    dict(type='RandomCutMixBox', crop_size=crop_size, key='cutmix_box1'),
    dict(
        type='PackMultiViewSegInputs',
        views=dict(weak='img', strong1='img_strong1'),
        boxes=dict(strong1='cutmix_box1')),
]
unlabeled_pipeline = [dict(type='LoadImageFromFile')] + geometry + \
    two_strong_views
# Single-scale evaluation at the original image size (the release's
# 'original' mode for Pascal).
test_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    [dict(type='PackSegInputs')]
# "1,464 high-quality labels" protocol: labels from VOC's own
# SegmentationClass.
labeled_dataset = dict(
    type='PascalVOCDataset',
    data_root=data_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file=data_splits + '/voc12/92/labeled.txt',
    pipeline=labeled_pipeline)
unlabeled_dataset = dict(
    type='PascalVOCDataset',
    data_root=data_root,
    data_prefix=dict(img_path='JPEGImages'),  # no labels are loaded
    ann_file=data_splits + '/voc12/92/unlabeled.txt',
    pipeline=unlabeled_pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='MixedDataset',
        labeled=labeled_dataset,
        unlabeled=unlabeled_dataset,
        with_mix=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PascalVOCDataset',
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file=data_splits + '/voc12/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

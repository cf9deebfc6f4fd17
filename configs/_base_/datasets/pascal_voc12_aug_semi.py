# Pascal VOC 2012 + SBD ("aug"), semi-supervised: a labeled and an unlabeled
# stream from the standard split lists shipped with the package
# (mmseg_pseudoseg/data_splits, see its README), 8 + 8 images per GPU
# (8 GPUs give the release's 64 + 64 per step). Leaves set the split files.
data_root = 'data/VOCdevkit/VOC2012'
data_splits = '{{ fileDirname }}/../../../mmseg_pseudoseg/data_splits'
crop_size = (512, 512)  # the release crops 513 (TF DeepLab convention)
# Geometry shared by both streams, the unlabeled weak view is exactly this:
# the image scaled by a factor in {0.5, 0.75, ..., 2.0}, cropped (mmseg
# pads to the crop in the data preprocessor: image with the mean pixel,
# label 255) and flipped.
scale = [
    dict(
        type='RandomChoice',
        transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)]
                    for s in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)]),
]
crop_flip = [
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
weak_transforms = scale + crop_flip
# Labels are checked right after loading (size, class range).
load_labels = [
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=21),
]
# Labeled stream: geometry only, no colour augmentation.
labeled_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    weak_transforms + [dict(type='PackSegInputs')]
# Strong view, in the release's order: colour jitter (random order,
# probability 1) on the whole scaled image, kept float; crop and flip
# shared with the weak view; then one CutOut square of 100 px per 513 px
# of crop, excluded from the consistency loss.
colour_jitter = dict(
    type='ColorJitter', brightness=0.5, contrast=0.5, saturation=0.5,
    hue=0.25)
cutout = dict(
    type='CutOut', size=round(100 * crop_size[0] / 513), pad_to=crop_size)
weak_and_strong_views = scale + [
    dict(type='StrongView', transforms=[colour_jitter]),
    dict(type='SameGeometry', transforms=crop_flip),
    dict(type='StrongView', transforms=[cutout], from_key='img_strong'),
]
unlabeled_pipeline = [dict(type='LoadImageFromFile')] + \
    weak_and_strong_views + [dict(type='PackWeakStrongSegInputs')]
# Single-scale evaluation at the original image size, no flip (the
# release's protocol; mmseg's VOC base resizes to 2048x512).
test_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    [dict(type='PackSegInputs')]
# "1,464 high-quality labels" protocol: labeled images from VOC's own
# SegmentationClass. The blended protocol's leaves switch the labeled
# stream to SegmentationClassAug.
labeled_dataset = dict(
    type='PascalVOCDataset',
    data_root=data_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file=data_splits + '/voc12/183/labeled.txt',
    pipeline=labeled_pipeline)
# The unlabeled stream is ALL 10,582 train_aug images, the labeled ones
# included, as the release trains (--train_split_cls=train_aug). The
# *-disjoint configs use the split's unlabeled.txt instead (train_aug minus
# the labeled ids), as later papers do.
unlabeled_dataset = dict(
    type='PascalVOCDataset',
    data_root=data_root,
    data_prefix=dict(img_path='JPEGImages'),  # no labels are loaded
    ann_file=data_splits + '/voc12/train_aug.txt',
    pipeline=unlabeled_pipeline)
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='MixedDataset',
        labeled=labeled_dataset,
        unlabeled=unlabeled_dataset))
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
# "With image-level labels" setting: the unlabeled images come with the
# classes they contain. As in the release, these are the classes left in
# each augmented crop (after scale, crop, flip and CutOut) of the image's
# SegmentationClassAug label map, which is then dropped: the model gets the
# image-level labels only. The leaves' unlabeled datasets set
# seg_map_path='SegmentationClassAug' for it.
unlabeled_imglabels_pipeline = [dict(type='LoadImageFromFile')] + \
    load_labels + weak_and_strong_views + [
        dict(type='ImageLabelsFromSegMap', num_classes=21),
        dict(type='PackWeakStrongSegInputs')
    ]
# Option, not the paper's setting: whole-image labels from a file
# (ImageLabels/train_aug.txt, written by
# tools/dataset_converters/voc_image_labels.py, or your own image tags),
# for users who have only image tags.
image_labels_file = data_root + '/ImageLabels/train_aug.txt'
unlabeled_imglabels_file_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LoadImageLevelLabels',
        label_file=image_labels_file,
        num_classes=21),
] + weak_and_strong_views + [dict(type='PackWeakStrongSegInputs')]

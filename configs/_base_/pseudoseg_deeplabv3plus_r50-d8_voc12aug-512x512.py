# PseudoSeg primitive: DeepLabV3+ R50-D8 on Pascal VOC 2012 (+SBD aug),
# 512x512 crops, 40k iterations. Leaves (configs/pseudoseg/voc_1-*.py) only
# choose the labeled/unlabeled split files. Method settings follow the
# authors' release (../shared/pseudoseg-spec.md): SGC "v2" head on the last
# two backbone stages, calibrated fusion at T = 0.5, soft targets, colour
# jitter + CutOut strong view, all losses weight 1, no ramp-up.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py',
]
custom_imports = dict(imports=['mmseg_pseudoseg'], allow_failed_imports=False)

num_classes = 21
crop_size = (512, 512)  # the paper crops 513x513 (TF DeepLab convention)

segmentor = _base_.model
segmentor.data_preprocessor.size = crop_size
segmentor.decode_head.num_classes = num_classes
segmentor.auxiliary_head.num_classes = num_classes
model = dict(
    _delete_=True,
    type='PseudoSeg',
    segmentor=segmentor,
    sgc_head=dict(
        type='SGCHead',
        num_classes=num_classes,
        in_channels=[1024, 2048],  # ResNet stages 3 and 4 (hypercolumn)
        in_index=[2, 3],  # the classifier uses the last one
        key_channels=128,
        version='v2',
        cls_dropout_ratio=0.5,
        # Unsynchronised BN, as in the release.
        norm_cfg=dict(type='BN', requires_grad=True)),
    unsup_weight=1.0,
    temperature=0.5,  # the paper's T
    calibrate=True,
    pseudo_src='fused',
    confidence_threshold=0.0,
    unsup_loss=dict(type='SoftCrossEntropyLoss'),  # soft targets
    weak_inference_pass=True,
    strong_updates_bn_stats=True)

data_root = 'data/VOCdevkit/VOC2012'
# Geometry shared by both streams; the unlabeled weak view is exactly this:
# random scale in {0.5, 0.75, ..., 2.0} of the image, crop (mmseg pads to
# the crop in the data preprocessor: image with the mean pixel, label 255),
# horizontal flip.
scale_factors = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
weak_transforms = [
    dict(
        type='RandomChoice',
        transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)]
                    for s in scale_factors]),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
# Labels are checked right after loading (label/image size, class range).
load_labels = [
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=num_classes),
]
labeled_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    weak_transforms + [dict(type='PackSegInputs')]
# Strong view: colour jitter (random order, probability 1) and one CutOut
# square of 100 px per 513 px of crop, same geometry as the weak view.
cutout_size = round(crop_size[0] * 100 / 513)
strong_view = dict(
    type='StrongView',
    transforms=[
        dict(
            type='ColorJitter',
            brightness=0.5,
            contrast=0.5,
            saturation=0.5,
            hue=0.25),
        dict(type='CutOut', size=cutout_size, pad_to=crop_size),
    ])
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
] + weak_transforms + [strong_view, dict(type='PackWeakStrongSegInputs')]
# Single-scale evaluation at the original image size, no flip (the
# release's protocol; mmseg's VOC base resizes to 2048x512).
test_pipeline = [dict(type='LoadImageFromFile')] + load_labels + \
    [dict(type='PackSegInputs')]
# 2 labeled + 2 unlabeled images per GPU; 8 GPUs give 16 + 16 per step,
# the batch of mmseg's 4xb4 VOC recipes.
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='MixedDataset',
        labeled=dict(
            type='PascalVOCDataset',
            data_root=data_root,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file='splits/1-8/labeled.txt',
            pipeline=labeled_pipeline),
        unlabeled=dict(
            type='PascalVOCDataset',
            data_root=data_root,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
            ann_file='splits/1-8/unlabeled.txt',
            pipeline=unlabeled_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

custom_hooks = [dict(type='PseudoLabelFusionHook', log_interval=50)]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=4000, max_keep_ckpts=2))

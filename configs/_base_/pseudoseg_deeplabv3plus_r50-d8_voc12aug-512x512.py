# PseudoSeg primitive: DeepLabV3+ R50-D8 on Pascal VOC 2012 (+SBD aug),
# 512x512 crops, 40k iterations. Leaves (configs/pseudoseg/voc_1-*.py) only
# choose the labeled/unlabeled split files.
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
    cam_head=dict(
        type='CAMHead',
        in_channels=2048,  # ResNet-50 stage 4
        in_index=3,
        num_classes=num_classes,
        refine_temperature=0.1),
    unsup_weight=1.0,
    temperature=0.5,  # the paper's T
    confidence_threshold=0.0,
    unsup_loss=dict(type='SoftCrossEntropyLoss'))

data_root = 'data/VOCdevkit/VOC2012'
# Geometry shared by both branches; the unlabeled weak view is exactly this.
weak_transforms = [
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
labeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=num_classes),
] + weak_transforms + [dict(type='PackSegInputs')]
# Strong view: colour operations and cutout only, same geometry.
strong_view = dict(
    type='StrongView',
    transforms=[
        dict(type='RandAugmentColor', num_ops=3, max_magnitude=0.9),
        dict(
            type='RandomCutOut',
            prob=0.5,
            n_holes=1,
            cutout_ratio=[(0.25, 0.25), (0.5, 0.5)],
            fill_in=(127, 127, 127)),
    ])
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
] + weak_transforms + [strong_view, dict(type='PackWeakStrongSegInputs')]
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

custom_hooks = [dict(type='PseudoLabelFusionHook', log_interval=50)]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=4000, max_keep_ckpts=2))

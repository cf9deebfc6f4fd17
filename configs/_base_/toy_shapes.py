# Toy-run settings shared by configs/pseudoseg/toy.py and
# configs/supervised/toy.py: the built-in synthetic shapes set (write it with
# `python tools/make_toy_dataset.py data/toy_shapes`), a 0.8M-parameter
# DeepLabV3+ (ResNetV1c-18 at 1/4 width, output stride 8, random init) and a
# CPU-sized schedule. Leaves put `toy_segmentor` into their model and build
# their train_dataloader from `toy_labeled_dataset` (and the unlabeled
# pipeline pieces); evaluation and schedule are set here.
_base_ = ['./schedules/schedule_30k.py']
toy_data_root = 'data/toy_shapes'
toy_num_classes = 4
toy_crop_size = (64, 64)
toy_norm_cfg = dict(type='BN', requires_grad=True, momentum=0.1)  # PyTorch's
toy_segmentor = dict(
    pretrained=None,
    data_preprocessor=dict(size=toy_crop_size),
    backbone=dict(
        depth=18,
        stem_channels=16,
        base_channels=16,
        # The deep stem and max-pool stride 4; with these, output stride 8.
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=toy_norm_cfg),
    decode_head=dict(
        in_channels=128,
        channels=32,
        c1_in_channels=16,
        c1_channels=8,
        dilations=(1, 2, 3, 4),
        num_classes=toy_num_classes,
        norm_cfg=toy_norm_cfg),
    auxiliary_head=dict(
        in_channels=64,
        channels=16,
        num_classes=toy_num_classes,
        norm_cfg=toy_norm_cfg))
toy_scale = [
    dict(
        type='RandomResize',
        scale=(80, 64),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
]
toy_crop_flip = [
    dict(type='RandomCrop', crop_size=toy_crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
toy_weak_transforms = toy_scale + toy_crop_flip
# The strong view's colour jitter (spec Sec. 6), shared by the toy PseudoSeg
# configs and the supervised colour-jitter control.
toy_colour_jitter = dict(
    type='ColorJitter', brightness=0.5, contrast=0.5, saturation=0.5,
    hue=0.25)
# Weak and strong views of an unlabeled image in the release's order (as
# the VOC base): jitter the whole scaled image, crop and flip both views
# alike, then CutOut (100 px per 513 px of crop) on the strong one.
toy_weak_and_strong_views = toy_scale + [
    dict(type='StrongView', transforms=[toy_colour_jitter]),
    dict(type='SameGeometry', transforms=toy_crop_flip),
    dict(
        type='StrongView',
        transforms=[
            dict(
                type='CutOut',
                size=round(toy_crop_size[0] * 100 / 513),
                pad_to=toy_crop_size)
        ],
        from_key='img_strong'),
]
toy_labeled_dataset = dict(
    type='ToyShapesDataset',
    data_root=toy_data_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file='splits/1-8/labeled.txt',
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='ValidateSegMap', num_classes=toy_num_classes),
    ] + toy_weak_transforms + [dict(type='PackSegInputs')])
# Top-level, as in mmseg's dataset bases: mmseg.apis.inference_model reads
# it (and drops LoadAnnotations from it).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=toy_num_classes),
    dict(type='PackSegInputs'),
]
toy_test_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ToyShapesDataset',
        data_root=toy_data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
toy_max_iters = 1500
val_dataloader = toy_test_dataloader
test_dataloader = toy_test_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
# SGD with the release's parameter-wise decay and lr multipliers (from the
# VOC schedule), at the toy lr and weight decay.
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=5e-4))
train_cfg = dict(
    type='IterBasedTrainLoop',
    max_iters=toy_max_iters,
    val_interval=toy_max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=toy_max_iters,
        by_epoch=False)
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=toy_max_iters,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))

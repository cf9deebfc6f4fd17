# UniMatch on the label-limited toy patterns set (an arm of
# `tools/benchmark.py arms`), 1/8 split (64 of 512 train images labeled; the
# split's unlabeled.txt as the unlabeled stream, as the release), the tiny
# DeepLabV3+ of configs/pseudoseg/toy-patterns.py without its auxiliary head
# (as released), the same pre-trained backbone, schedule (4,000 iterations,
# lr 0.1 on the head, 0.01 on the backbone) and weak view. The method's
# settings are configs/unimatch/toy.py's.
_base_ = [
    '../_base_/models/unimatch_deeplabv3plus_r101-d16.py',
    '../_base_/unimatch_runtime.py',
    '../_base_/toy_patterns.py',
    '../_base_/unimatch_strong_view.py',
]
model = dict(
    segmentor=dict(
        _base_.toy_segmentor,
        decode_head=dict(_base_.toy_segmentor.decode_head, align_corners=True),
        auxiliary_head=None))
# The weak view: the labeled stream's geometry. Labels of the unlabeled
# images are loaded only to log pseudo-label quality; the loss never sees
# them.
toy_unlabeled_weak = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ValidateSegMap', num_classes=_base_.toy_num_classes),
] + _base_.toy_weak_transforms
# Two strong views, a CutMix box each, then the views packed as branches.
toy_two_strong_views = [
    dict(type='StrongView', transforms=_base_.unimatch_strong_transforms,
         to_key='img_strong1'),
    dict(type='StrongView', transforms=_base_.unimatch_strong_transforms,
         to_key='img_strong2'),
    dict(type='RandomCutMixBox', crop_size=_base_.toy_crop_size,
         key='cutmix_box1'),
    dict(type='RandomCutMixBox', crop_size=_base_.toy_crop_size,
         key='cutmix_box2'),
    dict(type='PackMultiViewSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='MixedDataset',
        labeled=_base_.toy_labeled_dataset,
        unlabeled=dict(
            type='ToyPatternsDataset',
            data_root=_base_.toy_data_root,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file=_base_.toy_split + '/unlabeled.txt',
            pipeline=toy_unlabeled_weak + toy_two_strong_views),
        # The mix batch: a second unlabeled sample per item (mix_* branches).
        with_mix=True))
env_cfg = dict(cudnn_benchmark=False)
custom_hooks = _base_.custom_hooks + [_base_.toy_pretrained_check_hook]

# UniMatch on the built-in toy shapes set, 1/8 split (16 of 128 train images
# labeled; the other 112, the split's unlabeled.txt, as the unlabeled
# stream, as the release), the tiny DeepLabV3+ of configs/pseudoseg/toy.py
# without its auxiliary head, 1500 iterations on CPU. Same data, crop,
# optimizer and schedule as configs/pseudoseg/toy.py.
_base_ = [
    '../_base_/models/unimatch_deeplabv3plus_r101-d16.py',
    '../_base_/unimatch_runtime.py',
    '../_base_/toy_shapes.py',
    '../_base_/unimatch_strong_view.py',
]
model = dict(
    segmentor=dict(
        _base_.toy_segmentor,
        decode_head=dict(_base_.toy_segmentor.decode_head, align_corners=True),
        auxiliary_head=None))
# The weak view: the labeled stream's geometry. Labels of the unlabeled
# images are loaded only to log pseudo-label accuracy; the loss never sees
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
            type='ToyShapesDataset',
            data_root=_base_.toy_data_root,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file='splits/1-8/unlabeled.txt',
            pipeline=toy_unlabeled_weak + toy_two_strong_views),
        # The mix batch: a second unlabeled sample per item (mix_* branches).
        with_mix=True))
env_cfg = dict(cudnn_benchmark=False)

# PseudoSeg on the label-limited toy patterns set, 1/8 split (64 of 512 train
# images labeled; all 512 as the unlabeled stream), tiny DeepLabV3+ with the
# pre-trained toy backbone (schedule and checkpoint in
# ../_base_/toy_patterns.py). The method's settings are
# configs/pseudoseg/toy-scenes.py's; the data and the class count differ
# (tests/test_toy_patterns.py checks it). 4000 iters x 4 labeled images = 250
# epochs of the labeled set; x 4 unlabeled images = 31 epochs of the unlabeled
# stream.
_base_ = [
    '../_base_/models/pseudoseg_deeplabv3plus_r101-d16.py',
    '../_base_/pseudoseg_runtime.py',
    '../_base_/toy_patterns.py',
]
# The method as released, including the strong view's update of the BN
# running statistics.
model = dict(
    segmentor=_base_.toy_segmentor,
    sgc_head=dict(in_channels=[64, 128], num_classes=_base_.toy_num_classes))
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
            # All train images, the labeled ones included, as the release's
            # unlabeled stream (all of train_aug on VOC).
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                # Labels of the unlabeled images are loaded only to log
                # pseudo-label accuracy; the loss never sees them.
                dict(type='LoadAnnotations'),
                dict(
                    type='ValidateSegMap',
                    num_classes=_base_.toy_num_classes),
            ] + _base_.toy_weak_and_strong_views +
            [dict(type='PackWeakStrongSegInputs')])))
env_cfg = dict(cudnn_benchmark=False)
custom_hooks = _base_.custom_hooks + [_base_.toy_pretrained_check_hook]

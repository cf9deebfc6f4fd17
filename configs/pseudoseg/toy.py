# PseudoSeg on the built-in toy shapes set, 1/8 split (16 of 128 train
# images labeled, 112 unlabeled), tiny DeepLabV3+, 1500 iterations on CPU.
# 1500 iters x 4 labeled images = 375 epochs of the labeled set.
_base_ = [
    '../_base_/pseudoseg_deeplabv3plus_r50-d8_voc12aug-512x512.py',
    '../_base_/toy_shapes.py',
]
model = dict(
    segmentor=_base_.toy_segmentor,
    # The CAM head trains as a probe on detached features: back-propagating
    # its image-level loss into this small, randomly initialised backbone
    # cost 19 mIoU on its own (seed 0: 50.1 supervised -> 31.3), see README.
    cam_head=dict(in_channels=128, num_classes=4, detach_input=True))
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        labeled=_base_.toy_labeled_dataset,
        unlabeled=dict(
            _delete_=True,
            type='ToyShapesDataset',
            data_root=_base_.toy_data_root,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file='splits/1-8/unlabeled.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                # Labels of the unlabeled images are loaded only to log
                # pseudo-label accuracy; the loss never sees them.
                dict(type='LoadAnnotations'),
            ] + _base_.toy_weak_transforms +
            [_base_.strong_view,
             dict(type='PackWeakStrongSegInputs')])))
val_dataloader = _base_.toy_test_dataloader
test_dataloader = _base_.toy_test_dataloader
train_cfg = _base_.toy_schedule.train_cfg
param_scheduler = _base_.toy_schedule.param_scheduler
default_hooks = _base_.toy_schedule.default_hooks
# Pseudo labels from an untrained network are noise: off for 250 iters,
# then ramped up over 500.
custom_hooks = [
    dict(
        type='PseudoLabelFusionHook',
        warmup_iters=250,
        rampup_iters=500,
        log_interval=50)
]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)

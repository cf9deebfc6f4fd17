# UniMatch, Pascal VOC 2012 + SBD, 732 of the 1,464 high-quality labels
# (shipped lists, voc12/732); unlabeled stream: the split's unlabeled.txt
# (9,850 train_aug images, the labeled ones excluded), as the release.
# 80 epochs of the unlabeled set at 4 GPUs x 2 unlabeled images, counted as
# the release's loader does (DistributedSampler, drop_last): ceil(9850 / 4) =
# 2463 images per GPU, 1231 batches of 2 per epoch, 80 x 1231 =
# 98,480 iterations.
_base_ = [
    '../_base_/models/unimatch_deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_unimatch.py',
    '../_base_/unimatch_runtime.py',
    '../_base_/schedules/schedule_unimatch_voc.py',
]
split = _base_.data_splits + '/voc12/732'
max_iters = 98480
train_dataloader = dict(
    dataset=dict(
        labeled=dict(ann_file=split + '/labeled.txt'),
        unlabeled=dict(ann_file=split + '/unlabeled.txt')))
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]

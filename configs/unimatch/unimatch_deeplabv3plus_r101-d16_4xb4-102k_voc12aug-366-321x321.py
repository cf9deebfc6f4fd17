# UniMatch, Pascal VOC 2012 + SBD, 366 of the 1,464 high-quality labels
# (shipped lists, voc12/366); unlabeled stream: the split's unlabeled.txt
# (10,216 train_aug images, the labeled ones excluded), as the release.
# 80 epochs of the unlabeled set at 4 GPUs x 2 unlabeled images, counted as
# the release's loader does (DistributedSampler, drop_last): ceil(10216 / 4) =
# 2554 images per GPU, 1277 batches of 2 per epoch, 80 x 1277 =
# 102,160 iterations.
_base_ = [
    '../_base_/models/unimatch_deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_unimatch.py',
    '../_base_/unimatch_runtime.py',
    '../_base_/schedules/schedule_unimatch_voc.py',
]
split = _base_.data_splits + '/voc12/366'
max_iters = 102160
train_dataloader = dict(
    dataset=dict(
        labeled=dict(ann_file=split + '/labeled.txt'),
        unlabeled=dict(ann_file=split + '/unlabeled.txt')))
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]

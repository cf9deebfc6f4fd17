# PseudoSeg, Pascal VOC 2012 + SBD, 1/16 of train_aug (blended protocol, U2PL
# draw): 662 labeled train_aug images (shipped lists, voc12/u2pl_1_16).
# Unlabeled stream: all 10,582 train_aug images, the labeled ones included, as
# the release trains. 30k iters x 64 labeled images = 2,900 epochs of the
# labeled set.
_base_ = [
    '../_base_/models/pseudoseg_deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_semi.py',
    '../_base_/pseudoseg_runtime.py', '../_base_/schedules/schedule_30k.py'
]
split = _base_.data_splits + '/voc12/u2pl_1_16'
train_dataloader = dict(
    dataset=dict(
        labeled=dict(
            data_prefix=dict(seg_map_path='SegmentationClassAug'),
            ann_file=split + '/labeled.txt')))

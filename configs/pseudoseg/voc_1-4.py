# PseudoSeg, VOC12 1/4 split: 366 of the 1464 train images labeled, the other
# 10216 of the 10582 aug images unlabeled. 40k iters x 16 labeled
# images = 1749 epochs of the labeled set.
_base_ = '../_base_/pseudoseg_deeplabv3plus_r50-d8_voc12aug-512x512.py'
train_dataloader = dict(
    dataset=dict(
        labeled=dict(ann_file='splits/1-4/labeled.txt'),
        unlabeled=dict(ann_file='splits/1-4/unlabeled.txt')))

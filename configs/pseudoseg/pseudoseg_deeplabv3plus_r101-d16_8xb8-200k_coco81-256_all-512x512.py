# PseudoSeg, COCO 2017 (81 classes), 1/256 of train2017 labeled: 463 labeled
# (shipped data_splits/coco/256_all.txt) and all 118,287 train2017 images
# (labeled ones included) as the unlabeled stream, as the release trains on
# VOC. 200k iters x 64 labeled images = 27,646 epochs of the labeled set.
_base_ = [
    '../_base_/models/pseudoseg_deeplabv3plus_r101-d16.py',
    '../_base_/datasets/coco81_semi.py', '../_base_/pseudoseg_runtime.py',
    '../_base_/schedules/schedule_200k.py'
]
model = dict(
    segmentor=dict(
        decode_head=dict(num_classes=81), auxiliary_head=dict(num_classes=81)),
    sgc_head=dict(num_classes=81))
train_dataloader = dict(
    dataset=dict(
        labeled=dict(ann_file=_base_.data_splits + '/coco/256_all.txt')))

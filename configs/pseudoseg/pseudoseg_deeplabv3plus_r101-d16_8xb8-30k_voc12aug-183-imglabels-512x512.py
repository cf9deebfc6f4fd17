# PseudoSeg "with image-level labels", Pascal VOC 2012 + SBD: 183 pixel-labeled
# images (voc12/183) and all 10,582 train_aug images as the unlabeled stream,
# with image-level labels only (those left in each augmented crop of their
# SegmentationClassAug map, as the release makes them). The classifier trains
# on the latter (weak view) instead of the pixel-labeled batch, and Grad-CAM
# uses their given labels. 30k iters x 64 labeled images = 10,492 epochs of the
# labeled set.
_base_ = [
    '../_base_/models/pseudoseg_deeplabv3plus_r101-d16.py',
    '../_base_/datasets/pascal_voc12_aug_semi.py',
    '../_base_/pseudoseg_runtime.py', '../_base_/schedules/schedule_30k.py'
]
model = dict(cls_on_unlabeled=True)
split = _base_.data_splits + '/voc12/183'
train_dataloader = dict(
    dataset=dict(
        labeled=dict(ann_file=split + '/labeled.txt'),
        unlabeled=dict(
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
            pipeline=_base_.unlabeled_imglabels_pipeline)))

# DeepLabV3+ ResNet-101 at output stride 16, the release's architecture
# family on mmseg's stock parts (the release uses Xception-65, which mmseg
# lacks): ASPP rates 6/12/18, decoder at stride 4, 21 VOC classes, BN with
# batch statistics not synchronised across GPUs (as the release).
_base_ = 'mmseg::_base_/models/deeplabv3plus_r50-d8.py'
# BN momentum 0.05: the release's moving-average decay 0.95 for ResNets.
norm_cfg = dict(type='BN', requires_grad=True, momentum=0.05)
model = dict(
    # 512 = the crop of the VOC dataset base; change both together.
    data_preprocessor=dict(size=(512, 512)),
    pretrained='open-mmlab://resnet101_v1c',  # ImageNet-pretrained
    backbone=dict(
        depth=101,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),  # output stride 16
        norm_cfg=norm_cfg),
    # Cross-entropy averaged over the non-ignored pixels (255 and padding
    # left out of the count), as the release normalises its supervised
    # losses; mmseg's default divides by every pixel.
    decode_head=dict(
        dilations=(1, 6, 12, 18),
        num_classes=21,
        norm_cfg=norm_cfg,
        loss_decode=dict(avg_non_ignore=True)),
    auxiliary_head=dict(
        num_classes=21, norm_cfg=norm_cfg,
        loss_decode=dict(avg_non_ignore=True)))

# PseudoSeg, VOC12 1/8 split, DeepLabV3+ on mmseg's MobileNetV2-D8 instead
# of ResNet-101-D16 (mmseg's own recipe for this backbone); data, method and
# schedule as configs/pseudoseg/voc_1-8.py.
# MobileNetV2 out_indices (1, 2, 4, 6) give 24, 32, 96, 320 channels at
# strides 4, 8, 8, 8. The heads read: DeepLabV3+ c1 <- output 0, ASPP <-
# output 3, auxiliary FCN <- output 2, SGC hypercolumn <- outputs 2 and 3
# (its classifier: 3). PseudoSeg checks these channels when it is built.
_base_ = ('../pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_'
          'voc12aug-183-512x512.py')
model = dict(
    segmentor=dict(
        pretrained='mmcls://mobilenet_v2',
        backbone=dict(
            _delete_=True,  # drop ResNet's keys (depth, num_stages, ...)
            type='MobileNetV2',
            widen_factor=1.,
            strides=(1, 2, 2, 1, 1, 1, 1),
            dilations=(1, 1, 1, 2, 2, 4, 4),
            out_indices=(1, 2, 4, 6),
            norm_cfg=dict(type='BN', requires_grad=True, momentum=0.05)),
        # Output stride 8: the DeepLab ASPP rates for it.
        decode_head=dict(
            in_channels=320, c1_in_channels=24, dilations=(1, 12, 24, 36)),
        auxiliary_head=dict(in_channels=96)),
    sgc_head=dict(in_channels=[96, 320], in_index=[2, 3]))

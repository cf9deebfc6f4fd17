# PseudoSeg, VOC12 1/8 split, DeepLabV3+ on Xception-65 at output stride 16,
# the release's backbone (timm's `xception65`, the aligned Xception of
# DeepLab, ImageNet weights, through mmpretrain's TIMMBackbone); data,
# method and schedule as configs/pseudoseg/voc_1-8.py. Needs the mmpretrain
# extra: `pip install -e .[mmpretrain]` (mmpretrain, torchvision, timm).
# out_indices (1, 2, 3, 4) give 256, 728, 1024, 2048 channels at strides 4,
# 8, 16, 16. The heads read: c1 <- output 0 (the release's stride-4
# decoder features), ASPP <- output 3 with the release's rates 6/12/18,
# auxiliary FCN <- output 2, SGC hypercolumn <- outputs 2 and 3. timm's BN
# keeps PyTorch's momentum 0.1; the release's Xception uses decay 0.9997.
_base_ = ('../pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_'
          'voc12aug-183-512x512.py')
custom_imports = dict(
    imports=['mmseg_pseudoseg', 'mmpretrain.models'],
    allow_failed_imports=False)
model = dict(
    segmentor=dict(
        pretrained=None,  # the base's ResNet URL; timm loads its own
        backbone=dict(
            _delete_=True,  # drop ResNet's keys (depth, num_stages, ...)
            type='mmpretrain.TIMMBackbone',
            model_name='xception65',
            features_only=True,
            pretrained=True,  # timm downloads its ImageNet weights
            output_stride=16,
            out_indices=(1, 2, 3, 4)),
        decode_head=dict(
            in_channels=2048, c1_in_channels=256, dilations=(1, 6, 12, 18)),
        auxiliary_head=dict(in_channels=1024)),
    sgc_head=dict(in_channels=[1024, 2048], in_index=[2, 3]))

# PseudoSeg, VOC12 1/8 split, DeepLabV3+ on mmpretrain's ConvNeXt-T
# (ImageNet-1k weights, as mmseg's ConvNeXt recipes); data, method and
# schedule as configs/pseudoseg/voc_1-8.py. Needs the mmpretrain extra:
# `pip install -e .[mmpretrain]` (mmpretrain, torchvision, timm).
# ConvNeXt-T outputs 96, 192, 384, 768 channels at strides 4, 8, 16, 32.
# The heads read: c1 <- output 0, ASPP <- output 3, auxiliary FCN <- output
# 2, SGC hypercolumn <- outputs 2 and 3. ASPP rates follow the stride (the
# DeepLab rates 12/24/36 are for stride 8, 6/12/18 for 16): 3/6/9 at 32.
# The primitive's SGD schedule is kept; mmseg trains ConvNeXt with AdamW.
_base_ = ('../pseudoseg/pseudoseg_deeplabv3plus_r101-d16_8xb8-30k_'
          'voc12aug-183-512x512.py')
custom_imports = dict(
    imports=['mmseg_pseudoseg', 'mmpretrain.models'],
    allow_failed_imports=False)
checkpoint_file = 'https://download.openmmlab.com/mmclassification/v0/convnext/downstream/convnext-tiny_3rdparty_32xb128-noema_in1k_20220301-795e9634.pth'  # noqa: E501
model = dict(
    segmentor=dict(
        # The base's ResNet URL; mmpretrain backbones load via init_cfg.
        pretrained=None,
        backbone=dict(
            _delete_=True,  # drop ResNet's keys (depth, num_stages, ...)
            type='mmpretrain.ConvNeXt',
            arch='tiny',
            out_indices=[0, 1, 2, 3],
            drop_path_rate=0.4,
            layer_scale_init_value=1.0,
            gap_before_final_norm=False,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=checkpoint_file,
                prefix='backbone.')),
        decode_head=dict(
            in_channels=768, c1_in_channels=96, dilations=(1, 3, 6, 9)),
        auxiliary_head=dict(in_channels=384)),
    sgc_head=dict(in_channels=[384, 768], in_index=[2, 3]))

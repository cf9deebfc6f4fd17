# PseudoSeg around DeepLabV3+ ResNet-101-D16, with the method's settings as
# the authors' release trains it (../shared/pseudoseg-spec.md): SGC "v2"
# head on the last two backbone stages, calibrated fusion at T = 0.5, soft
# targets, no threshold, the classifier's pseudo-label pass in inference
# mode, every loss with weight 1.
_base_ = './deeplabv3plus_r101-d16.py'
segmentor = _base_.model
model = dict(
    _delete_=True,
    type='PseudoSeg',
    segmentor=segmentor,
    sgc_head=dict(
        type='SGCHead',
        num_classes=21,
        in_channels=[1024, 2048],  # ResNet stages 3 and 4 (hypercolumn)
        in_index=[2, 3],  # the classifier uses the last one
        key_channels=128,
        version='v2',
        cls_dropout_ratio=0.5,
        # TF's decay 0.999 and epsilon 1e-3 (spec Sec. 10).
        norm_cfg=dict(type='BN', requires_grad=True, momentum=0.001,
                      eps=1e-3),
        # SGC logits resized as TF's resize_bilinear in DeepLab.
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    unsup_weight=1.0,
    temperature=0.5,
    calibrate=True,
    pseudo_src='fused',
    confidence_threshold=0.0,
    unsup_loss=dict(type='SoftCrossEntropyLoss'),  # soft targets
    weak_inference_pass=True,
    strong_updates_bn_stats=True)

# UniMatch around DeepLabV3+ ResNet-101-D16 with the settings of the
# authors' release (LiheYoung/UniMatch, configs/pascal.yaml, unimatch.py):
# ImageNet-pretrained deep-stem ResNet-101 at output stride 16, ASPP rates
# 6/12/18, SyncBN with PyTorch's BN momentum, logits upsampled with
# align_corners=True, no auxiliary head; hard pseudo labels at confidence
# >= 0.95; loss = (loss_x + 0.25 loss_s1 + 0.25 loss_s2 + 0.5 loss_fp) / 2
# with channel dropout 0.5 as the feature perturbation.
_base_ = './deeplabv3plus_r101-d16.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
segmentor = _base_.model
model = dict(
    _delete_=True,
    type='UniMatch',
    segmentor=dict(
        segmentor,
        # 321 = the crop of the UniMatch VOC dataset base (the release's);
        # change both together.
        data_preprocessor=dict(segmentor.data_preprocessor, size=(321, 321)),
        backbone=dict(segmentor.backbone, norm_cfg=norm_cfg),
        decode_head=dict(
            segmentor.decode_head, norm_cfg=norm_cfg, align_corners=True),
        auxiliary_head=None),
    conf_thresh=0.95,
    sup_weight=0.5,  # (loss_x + ...) / 2
    strong_weights=(0.125, 0.125),  # 0.25 / 2 per strong view
    fp_weight=0.25,  # 0.5 / 2
    fp_dropout=0.5)

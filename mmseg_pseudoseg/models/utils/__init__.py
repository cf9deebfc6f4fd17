from .cam import (autograd_grad_cam, grad_cam, image_labels_from_seg,
                  sgc_attention)
from .cutmix import cutmix, hard_pseudo_labels
from .fusion import calibrated_fusion, joint_rms, sharpen
from .masks import box_mask, resize_mask, valid_region_mask

__all__ = [
    'autograd_grad_cam', 'grad_cam', 'image_labels_from_seg',
    'sgc_attention', 'calibrated_fusion', 'joint_rms', 'sharpen',
    'resize_mask', 'valid_region_mask', 'box_mask', 'cutmix',
    'hard_pseudo_labels'
]

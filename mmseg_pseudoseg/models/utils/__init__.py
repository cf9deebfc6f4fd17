from .cam import (attention_refine, autograd_grad_cam, cosine_affinity,
                  gap_linear_grad_cam, image_labels_from_seg, normalize_cam,
                  sgc_scores)
from .fusion import calibrated_fusion, joint_rms, sharpen

__all__ = [
    'attention_refine', 'autograd_grad_cam', 'cosine_affinity',
    'gap_linear_grad_cam', 'image_labels_from_seg', 'normalize_cam',
    'sgc_scores', 'calibrated_fusion', 'joint_rms', 'sharpen'
]

from .soft_cross_entropy_loss import SoftCrossEntropyLoss, soft_cross_entropy

__all__ = ['SoftCrossEntropyLoss', 'soft_cross_entropy']

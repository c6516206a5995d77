from .clip_association_loss import ClipAssociationLoss
from .video_set_criterion import VideoSetCriterion

__all__ = ['ClipAssociationLoss', 'VideoSetCriterion']

from .video_match_costs import VideoBoxL2Cost, VideoGIoUCost

__all__ = ['VideoBoxL2Cost', 'VideoGIoUCost']

from .causal_inference import (CausalInference, ClipInference, LinkedInference,
                               OnlineInference, WindowInference)
from .offline_inference import OfflineVideoInference
from .seqformer import SeqFormer
from .video_engine import FrameRecord, SeqFormerEngine
from .video_inference import (MODES, VIDEO_INFERENCES, FrameOutput,
                              VideoInference, build_video_inference,
                              check_mode, mode_option_names, register_mode)
from .video_postprocess import VIDEO_TEST_CFG, VideoSelection, video_test_cfg

__all__ = [
    'SeqFormer', 'VideoInference', 'FrameOutput', 'OfflineVideoInference',
    'CausalInference', 'LinkedInference', 'OnlineInference', 'WindowInference',
    'ClipInference', 'MODES', 'VIDEO_INFERENCES', 'build_video_inference',
    'check_mode', 'VideoSelection', 'VIDEO_TEST_CFG', 'video_test_cfg',
    'FrameRecord', 'SeqFormerEngine', 'register_mode', 'mode_option_names'
]

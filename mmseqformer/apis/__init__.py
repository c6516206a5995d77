from .inference import (build_vis_test_pipeline, inference_vis, init_vis_model,
                        iter_frame_chunks, preprocess_frames)
from .video_prediction import PredictionCollector, VideoPrediction
from .video_source import (ArraySource, FrameFolderSource,
                           TruncatedVideoWarning, VideoFileSource,
                           VideoSource, open_video_source)
from .visualization import (build_video_visualizer, draw_frame,
                            write_prediction_video)

__all__ = [
    'build_vis_test_pipeline', 'inference_vis', 'init_vis_model',
    'iter_frame_chunks', 'preprocess_frames', 'PredictionCollector',
    'VideoPrediction', 'ArraySource', 'FrameFolderSource', 'VideoFileSource',
    'VideoSource', 'TruncatedVideoWarning', 'open_video_source', 'build_video_visualizer', 'draw_frame',
    'write_prediction_video'
]

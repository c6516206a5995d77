from .inference import inference_vis, init_vis_model, stream_vis
from .preprocessing import build_vis_test_pipeline, preprocess_frames
from .streaming import MODES, FramePrediction
from .track_collector import TrackCollector
from .video_prediction import PredictionCollector, VideoPrediction
from .video_source import (ArraySource, CaptureSource, FrameFolderSource,
                           FrameReader, IterableSource, TruncatedVideoWarning,
                           VideoFileSource, VideoSource, iter_frame_chunks,
                           open_video_source)
from .visualization import (build_video_visualizer, draw_frame, draw_instances,
                            open_mp4_writer, write_prediction_video)

__all__ = [
    'build_vis_test_pipeline', 'inference_vis', 'init_vis_model', 'stream_vis',
    'MODES', 'FramePrediction', 'TrackCollector', 'iter_frame_chunks',
    'preprocess_frames', 'PredictionCollector', 'VideoPrediction',
    'ArraySource', 'CaptureSource', 'FrameFolderSource', 'FrameReader',
    'IterableSource', 'VideoFileSource', 'VideoSource',
    'TruncatedVideoWarning', 'open_video_source', 'build_video_visualizer',
    'draw_frame', 'draw_instances', 'open_mp4_writer', 'write_prediction_video'
]

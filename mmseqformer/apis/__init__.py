from ..models.vis import MODES
from .inference import (FramePrediction, inference_vis, init_vis_model,
                        stream_vis)
from .preprocessing import build_vis_test_pipeline, preprocess_frames
from .video_prediction import VideoCollector, VideoPrediction
from .video_source import (ArraySource, CaptureSource, FrameFolderSource,
                           FrameReader, IterableSource, TruncatedVideoWarning,
                           VideoFileSource, VideoSource, iter_frame_chunks,
                           open_video_source)
from .visualization import (build_video_visualizer, draw_frame, draw_instances,
                            open_mp4_writer, prediction_strip,
                            write_prediction_video)

__all__ = [
    'build_vis_test_pipeline', 'inference_vis', 'init_vis_model', 'stream_vis',
    'MODES', 'FramePrediction', 'VideoCollector', 'iter_frame_chunks',
    'preprocess_frames', 'VideoPrediction', 'ArraySource', 'CaptureSource',
    'FrameFolderSource', 'FrameReader', 'IterableSource', 'VideoFileSource',
    'VideoSource', 'TruncatedVideoWarning', 'open_video_source',
    'build_video_visualizer', 'draw_frame', 'draw_instances',
    'open_mp4_writer', 'write_prediction_video', 'prediction_strip'
]

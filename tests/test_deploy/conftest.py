"""One ONNX export of the noisy tiny model, shared by the deploy tests."""
import pytest

from mmseqformer.testing import TINY_CONFIG, noisy_tiny_vis_model


@pytest.fixture(scope='session')
def torch_model():
    return noisy_tiny_vis_model()


@pytest.fixture(scope='session')
def model_dir(torch_model, tmp_path_factory) -> str:
    """The tiny model exported (about 6 s)."""
    from mmseqformer.deploy import export_onnx
    path = str(tmp_path_factory.mktemp('deploy') / 'tiny_onnx')
    export_onnx(torch_model, path, source_config=TINY_CONFIG)
    return path


@pytest.fixture(scope='session')
def onnx_model(model_dir):
    from mmseqformer.apis import init_vis_model
    return init_vis_model(TINY_CONFIG, model_dir, backend='onnxruntime')

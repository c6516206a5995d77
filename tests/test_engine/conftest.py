"""Fixtures of the runner tests."""
import pytest

from tests.test_engine.toy_runner import build_runner


@pytest.fixture
def toy_checkpoint(tmp_path) -> str:
    """``iter_1.pth`` of a one-iteration toy training run."""
    runner = build_runner(str(tmp_path / 'train'), 1)
    runner.train()
    return str(tmp_path / 'train' / 'iter_1.pth')

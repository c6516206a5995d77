"""tools/analysis_tools/benchmark_training_step.py: the parts that run
without the official checkout (its side-by-side run needs one)."""
import pytest
import torch

from tests.conftest import run_analysis_tool_module


@pytest.fixture(scope='module')
def tool():
    return run_analysis_tool_module('benchmark_training_step.py')


def test_losses_compared_under_our_names(tool):
    official = {'loss_ce': 2.0, 'loss_mask_0': 4.0, 'loss_giou_1': 1.0}
    ours = {'loss_cls': 2.0, 'd0.loss_mask': 4.0004, 'd1.loss_iou': 1.0}
    differences = tool['loss_differences'](official, ours)
    assert differences == pytest.approx({
        'loss_cls': 0.0,
        'd0.loss_mask': 1e-4,
        'd1.loss_iou': 0.0
    })
    with pytest.raises(AssertionError, match='d1.loss_iou'):
        tool['loss_differences'](official, {
            'loss_cls': 2.0,
            'd0.loss_mask': 4.0
        })


def test_dropout_off_leaves_the_rest_training(tool):
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 4), torch.nn.Dropout(0.5),
        torch.nn.MultiheadAttention(4, 2, dropout=0.5),
        torch.nn.BatchNorm1d(4)).train()
    tool['dropout_off_'](model)
    assert [m.training for m in model] == [True, False, False, True]
    x = torch.ones(8, 4)
    assert torch.equal(model[1](x), x)  # dropout is the identity now

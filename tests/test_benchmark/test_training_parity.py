"""mmseqformer.benchmark.training_parity and training_step: loss terms
compared under our names, dropout off, one optimiser step."""
import pytest
import torch

from mmseqformer.benchmark.training_parity import loss_differences, report
from mmseqformer.benchmark.training_step import (MAX_GRAD_NORM, dropout_off_,
                                                 total_loss, training_step)


def test_losses_compared_under_our_names():
    official = {'loss_ce': 2.0, 'loss_mask_0': 4.0, 'loss_giou_1': 1.0}
    ours = {'loss_cls': 2.0, 'd0.loss_mask': 4.0004, 'd1.loss_iou': 1.0}
    assert loss_differences(official, ours) == pytest.approx({
        'loss_cls': 0.0,
        'd0.loss_mask': 1e-4,
        'd1.loss_iou': 0.0
    })
    with pytest.raises(AssertionError, match='d1.loss_iou'):
        loss_differences(official, {'loss_cls': 2.0, 'd0.loss_mask': 4.0})


def test_report_gives_the_speed_up_and_the_worst_term():
    row = dict(peak_gb=1.0, runs=[2.0], threads=2)
    rows = dict(
        official=dict(row, seconds=3.0, losses={'loss_ce': 2.0}),
        ours=dict(row, seconds=1.5, losses={'loss_cls': 2.002}))
    text = report(
        dict(size=[180, 320], device='cpu', steps=3, repeats=1), rows)
    assert text.splitlines(
    )[3] == '| official | 3.00 | 1.00 | 2.000000 | 2.0 |'
    assert text.splitlines()[-1] == (
        'speed-up: 2.00x; loss terms: 1, largest relative difference 1.0e-03 '
        '(loss_cls)')


def test_dropout_off_leaves_the_rest_training():
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 4), torch.nn.Dropout(0.5),
        torch.nn.MultiheadAttention(4, 2, dropout=0.5),
        torch.nn.BatchNorm1d(4)).train()
    dropout_off_(model)
    assert [m.training for m in model] == [True, False, False, True]
    x = torch.ones(8, 4)
    assert torch.equal(model[1](x), x)  # dropout is the identity now


def test_training_step_clips_and_updates():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    before = model.weight.detach().clone()
    inputs = torch.randn(16, 3) * 100  # large gradients: clipped

    def losses():
        return dict(a=model(inputs).pow(2).mean(), b=model.bias.sum() * 0)

    step = training_step(model, losses, 'cpu', amp=False)
    values = step()
    assert set(values) == {'a', 'b'} and not values['a'].requires_grad
    assert total_loss(values) == pytest.approx(float(values['a']))
    # AdamW moves each weight by about the learning rate, whatever the
    # (clipped) gradient: clipping keeps the step finite.
    assert 0 < (model.weight - before).abs().max() < 1e-3
    assert MAX_GRAD_NORM == 0.1

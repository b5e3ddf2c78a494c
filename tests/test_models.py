"""Models: the output range, embedding sizes, and the documented fallback for unknown ids."""

from __future__ import annotations

import math

import pytest
import torch

from collab_core.config import TrainConfig
from collab_core.errors import ConfigError
from collab_core.models import (
    CollabNN,
    DotProductBias,
    build_model,
    default_y_range,
    emb_size_rule,
    logit_range,
    sigmoid_range,
)


def test_sigmoid_range_stays_inside():
    x = torch.tensor([-1e4, -3.0, 0.0, 3.0, 1e4])
    y = sigmoid_range(x, 0.0, 5.5)
    assert (y >= 0).all() and (y <= 5.5).all()
    assert y[2].item() == pytest.approx(2.75)
    assert logit_range(2.75, 0.0, 5.5) == pytest.approx(0.0)
    assert sigmoid_range(torch.tensor(logit_range(3.53, 0, 5.5)), 0, 5.5).item() == pytest.approx(
        3.53
    )


def test_default_y_range_follows_the_scale():
    assert default_y_range([1, 2, 3, 4, 5]) == (0.0, 5.5)
    assert default_y_range([0.5, 1.0, 3.5, 5.0]) == (0.0, 5.25)
    assert default_y_range(range(1, 11)) == (0.0, 10.5)
    with pytest.raises(ConfigError, match="two different"):
        default_y_range([4, 4, 4])


def test_build_model_shapes_and_emb_size_rule():
    dot = build_model(TrainConfig(n_factors=7), 30, 40)
    assert isinstance(dot, DotProductBias)
    assert dot.user_factors().shape == (30, 7) and dot.item_factors().shape == (40, 7)
    assert dot.user_bias().shape == (30,) and dot.item_bias().shape == (40,)
    assert dot.user_seen.dtype == torch.bool and dot.item_seen.shape == (40,)
    nn_ = build_model(TrainConfig(model="nn"), 943, 1682)
    assert isinstance(nn_, CollabNN)
    assert emb_size_rule(943) == round(1.6 * 943**0.56) == 74
    assert nn_.user_factors().shape == (943, 74) and nn_.item_factors().shape == (1682, 102)
    sized = build_model(TrainConfig(model="nn", nn_emb_sizes=(5, 9)), 943, 1682)
    assert sized.user_factors().shape == (943, 5) and sized.item_factors().shape == (1682, 9)
    assert emb_size_rule(10**9) == 600
    with pytest.raises(ConfigError, match="at least one user"):
        build_model(TrainConfig(), 0, 5)


def test_global_bias_starts_at_the_mean():
    model = build_model(TrainConfig(), 20, 30, (0.0, 5.5), global_mean=3.6)
    pred = model(torch.arange(20), torch.arange(20))
    assert pred.mean().item() == pytest.approx(3.6, abs=0.01)  # factors start tiny, biases at 0


def test_outputs_stay_inside_y_range_even_with_huge_weights():
    for cfg in (TrainConfig(n_factors=4), TrainConfig(model="nn", nn_emb_sizes=(4, 4))):
        torch.manual_seed(0)
        model = build_model(cfg, 10, 10, (0.0, 5.5)).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(std=50.0)
        pred = model.predict(torch.arange(10).repeat(10), torch.arange(10).repeat_interleave(10))
        assert torch.isfinite(pred).all()
        assert (pred >= 0.0).all() and (pred <= 5.5).all()
        assert pred.min() < 1.0 and pred.max() > 4.5  # the range is really used, not clipped early


def test_dot_predict_falls_back_for_unknown_ids():
    torch.manual_seed(0)
    model = build_model(TrainConfig(n_factors=3), 4, 5, (0.0, 5.5), global_mean=3.0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    model.user_seen[3] = False  # user 3 was never in the training set
    g = model.global_bias.item()
    u, i = torch.tensor([-1, 3, 7, 0, -1]), torch.tensor([2, 2, 2, -1, 99])
    pred = model.predict(u, i)
    b_i, b_u = model.item_bias()[2].item(), model.user_bias()[0].item()
    expected = [g + b_i, g + b_i, g + b_i, g + b_u, g]
    for got, x in zip(pred.tolist(), expected, strict=True):
        assert got == pytest.approx(5.5 / (1 + math.exp(-x)), rel=1e-5)
    known = model.predict(torch.tensor([1]), torch.tensor([2]))
    assert known.item() == pytest.approx(model(torch.tensor([1]), torch.tensor([2])).item())


def test_nn_predict_falls_back_to_effective_biases():
    torch.manual_seed(0)
    model = build_model(TrainConfig(model="nn", nn_emb_sizes=(3, 3), nn_layers=(8,)), 6, 7)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim > 1:
                p.normal_()
    model.user_seen[5] = False
    model.item_seen[6] = False
    model.calibrate()
    assert model.user_bias()[5] == 0 and model.item_bias()[6] == 0
    assert model.item_bias()[:6].abs().sum() > 0
    # Effective biases are centred: seen items' biases average to zero around global_logit.
    assert model.item_bias()[:6].mean().item() == pytest.approx(0.0, abs=1e-5)
    pred = model.predict(torch.tensor([-1, 5, 2]), torch.tensor([1, 1, 6]))
    g = model.global_logit.item()
    expected = [
        g + model.item_bias()[1].item(),
        g + model.item_bias()[1].item(),
        g + model.user_bias()[2].item(),
    ]
    for got, x in zip(pred.tolist(), expected, strict=True):
        assert got == pytest.approx(5.5 / (1 + math.exp(-x)), rel=1e-5)


def test_nn_bias_adds_learned_biases_to_the_logit():
    cfg = TrainConfig(model="nn", nn_emb_sizes=(3, 3), nn_layers=(8,), nn_bias=True)
    plain = build_model(TrainConfig(model="nn", nn_emb_sizes=(3, 3), nn_layers=(8,)), 6, 7)
    assert plain.u_bias is None and "nn_bias" in cfg.key()
    model = build_model(cfg, 6, 7).eval()
    u, i = torch.tensor([1, 2]), torch.tensor([3, 3])
    before = model.logits(u, i)
    with torch.no_grad():
        model.u_bias.weight[1] = 0.5
        model.i_bias.weight[3] = -0.25
    assert (model.logits(u, i) - before).tolist() == pytest.approx([0.25, -0.25])
    # The effective bias measured by calibrate carries the learned one (centred over seen items).
    model.calibrate()
    assert model.item_bias()[3].item() == pytest.approx(-0.25 + 0.25 / 7, abs=1e-4)

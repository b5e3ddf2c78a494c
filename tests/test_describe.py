"""describe: a model in plain words, from its config alone (no weights loaded)."""

from collab_core import describe
from collab_core.config import TrainConfig


def test_the_dot_model_in_words():
    cfg = TrainConfig().key()
    assert describe.kind(cfg) == "Dot product"
    assert describe.settings(cfg) == "64 factors · wd 0.15 · 10 epochs · Adam, lr 0.03"
    assert describe.label(cfg, {"valid_rmse": 0.91183}) == (
        "RMSE 0.9118 · Dot product · 64 factors · wd 0.15 · 10 epochs · Adam, lr 0.03"
    )
    sgd = TrainConfig(optimizer="sgd", momentum=0.9, lr=0.2).key()
    assert describe.settings(sgd).endswith("SGD + momentum 0.9, lr 0.2")
    assert describe.rmse({}) == "validation RMSE not recorded"


def test_the_neural_models_automatic_embedding_sizes_are_said_with_the_rule_and_the_sizes():
    cfg = TrainConfig(model="nn").key()
    assert cfg["n_factors"] == 0
    assert describe.embedding_size(cfg, 943, 1682) == (
        "auto (fastai's rule 1.6 × n^0.56: 74 for 943 users, 102 for 1,682 movies)"
    )
    assert describe.short_size(cfg, 943, 1682) == "auto: 74 / 102"
    assert describe.short_size(cfg) == "auto"
    assert describe.label(cfg).startswith("Neural network · auto size · wd 0.01")
    fixed = TrainConfig(model="nn", n_factors=32).key()
    assert describe.embedding_size(fixed) == "32 per user and per movie"
    sizes = TrainConfig(model="nn", nn_emb_sizes=(16, 8)).key()
    assert describe.embedding_size(sizes) == "16 per user, 8 per movie"
    assert describe.short_size(sizes) == "16 / 8"

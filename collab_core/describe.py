"""A trained model in plain words: its kind, key settings, embedding sizes and validation RMSE.

Everything here takes a model's config as a plain dict (`TrainConfig.key()`, or a store listing's
row) so that listings can be described without loading any weights.
"""

from __future__ import annotations

from .models import emb_size_rule

KINDS = {
    "dot": "Dot product",
    "nn": "Neural network",
    "bayes": "Bayesian dot product",
    "als": "Spark ALS",
    "imported": "Imported factors",
}
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD"}


def kind(config: dict) -> str:
    """'Dot product' or 'Neural network'."""
    return KINDS.get(str(config.get("model")), str(config.get("model", "?")))


def embedding_size(config: dict, n_users: int | None = None, n_items: int | None = None) -> str:
    """The embedding size in words: '64 factors'; for the neural model the sizes and their origin.

    A neural model with `n_factors` 0 and no explicit sizes uses fastai's rule of thumb per side,
    min(600, round(1.6 * n ** 0.56)) for n users (movies); given the counts, the sizes are shown.
    """
    if config.get("model") != "nn":
        return f"{config.get('n_factors')} factors"
    sizes = config.get("nn_emb_sizes")
    if sizes:
        return f"{sizes[0]} per user, {sizes[1]} per movie"
    if config.get("n_factors"):
        return f"{config['n_factors']} per user and per movie"
    if n_users is None or n_items is None:
        return "auto (fastai's rule: 1.6 × n^0.56 for n users, and for n movies)"
    return (
        f"auto (fastai's rule 1.6 × n^0.56: {emb_size_rule(n_users)} for {n_users:,} users, "
        f"{emb_size_rule(n_items)} for {n_items:,} movies)"
    )


def short_size(config: dict, n_users: int | None = None, n_items: int | None = None) -> str:
    """The embedding size for a table cell: '64', '32', 'auto: 77 / 102' (users / movies)."""
    if config.get("model") != "nn":
        return str(config.get("n_factors"))
    sizes = config.get("nn_emb_sizes")
    if sizes:
        return f"{sizes[0]} / {sizes[1]}"
    if config.get("n_factors"):
        return str(config["n_factors"])
    if n_users is None or n_items is None:
        return "auto"
    return f"auto: {emb_size_rule(n_users)} / {emb_size_rule(n_items)}"


def settings(
    config: dict, n_users: int | None = None, n_items: int | None = None, *, brief: bool = False
) -> str:
    """'64 factors · wd 0.15 · 10 epochs · Adam, lr 0.03': what tells one run from another.

    `brief` gives the neural model's embedding size in a word or two ('auto size', 'size 32').
    """
    if config.get("model") == "bayes":  # no wd or optimiser: a prior it learns, and sweeps
        burn = config.get("burn_in")
        return " · ".join(
            p
            for p in (
                f"{config.get('n_factors')} factors",
                f"{config.get('epochs')} sweeps"
                + (f" ({burn} burn-in)" if burn is not None else ""),
                f"{config['noise']} noise" if config.get("noise") else "",
            )
            if p
        )
    if config.get("model") == "als":  # regParam, iterations, and whether biases came first
        return " · ".join(
            (
                f"{config.get('n_factors')} factors",
                f"regParam {config.get('wd'):g}",
                f"{config.get('epochs')} iterations",
                "bias baseline" if config.get("als_biases") else "no biases",
            )
        )
    if config.get("model") == "imported":
        return f"{config.get('n_factors')} factors, no biases"
    if brief and config.get("model") == "nn":
        size = short_size(config)
        parts = ["auto size" if size == "auto" else f"size {size}"]
    else:
        parts = [embedding_size(config, n_users, n_items)]
    if config.get("wd") is not None:
        parts.append(f"wd {config['wd']:g}")
    if config.get("epochs") is not None:
        parts.append(f"{config['epochs']} epochs")
    opt = config.get("optimizer")
    if opt:
        text = OPTIMIZERS.get(opt, str(opt))
        if opt == "sgd" and config.get("momentum"):
            text += f" + momentum {config['momentum']:g}"
        if config.get("lr") is not None:
            text += f", lr {config['lr']:g}"
        parts.append(text)
    return " · ".join(parts)


def rmse(metrics: dict | None) -> str:
    """'validation RMSE 0.9118' (or that none was recorded)."""
    value = (metrics or {}).get("valid_rmse")
    return "validation RMSE not recorded" if value is None else f"validation RMSE {value:.4f}"


def label(config: dict, metrics: dict | None = None) -> str:
    """One line for a picker, RMSE first so that a cut-off label still says how good it is:
    'RMSE 0.9118 · Dot product · 64 factors · wd 0.15 · 10 epochs · Adam, lr 0.03'."""
    value = (metrics or {}).get("valid_rmse")
    head = [f"RMSE {value:.4f}"] if value is not None else []
    return " · ".join([*head, kind(config), settings(config, brief=True)])

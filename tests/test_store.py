"""ModelStore: hits and misses, every kind of damaged file, two-process races, listing, LRU, cancel."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save as save_safetensors

from collab_core.cli import main as cli_main
from collab_core.config import TrainConfig
from collab_core.data import make_dataset
from collab_core.errors import StoreError, TrainingCancelled
from collab_core.store import (
    FORMAT_VERSION,
    ModelStore,
    ModelStoreWarning,
    StoredModel,
    default_model,
    model_id_for,
)

# Small and quick: a few hundred ms of training at most.
CFG = TrainConfig(n_factors=4, epochs=2, bs=256, device="cpu")


def tiny_ratings(seed: int = 0, n_users: int = 40, n_items: int = 30, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pairs = rng.choice(n_users * n_items, size=n, replace=False)
    return pd.DataFrame(
        {
            "user_id": (pairs // n_items + 1).astype(np.int64),
            "item_id": (pairs % n_items + 101).astype(np.int64),
            "rating": rng.integers(1, 6, size=n).astype(np.float32),
            "timestamp": rng.integers(0, 10**9, size=n).astype(np.int64),
        }
    )


@pytest.fixture(scope="module")
def tiny():
    return make_dataset(tiny_ratings(), name="tiny")


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def weights_digest(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# -- hits and misses -----------------------------------------------------------------------------


def test_miss_trains_and_stores_then_hit_returns_same_model(store, tiny):
    first = store.get_or_train(tiny, CFG)
    assert isinstance(first, StoredModel) and not first.cached and first.warnings == []
    meta = first.meta
    for key in (
        "config",
        "metrics",
        "history",
        "fingerprint",
        "dataset",
        "n_users",
        "n_items",
        "y_range",
        "device",
        "created",
        "train_seconds",
        "version",
        "sha256",
        "size",
    ):
        assert key in meta, key
    assert meta["fingerprint"] == tiny.fingerprint and meta["dataset"] == "tiny"
    assert (meta["n_users"], meta["n_items"]) == (tiny.n_users, tiny.n_items)
    assert len(meta["history"]) == CFG.epochs
    assert meta["format"] == FORMAT_VERSION and meta["device"] == "cpu"
    weights = store.root / f"{first.model_id}.safetensors"
    assert meta["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert meta["size"] == weights.stat().st_size

    # A new store object (as in another process) serves the same model without training.
    second = ModelStore(store.root).get_or_train(tiny, CFG, callback=pytest.fail)
    assert second.cached and second.model_id == first.model_id
    assert second.config == CFG and second.metrics == first.metrics
    assert same_weights(second.model, first.model)
    assert not second.model.training
    u, i, _ = tiny.encode(tiny.ratings.head(50))
    assert torch.equal(second.model.predict(u, i), first.model.predict(u, i))

    by_id = store.load(first.model_id)
    assert by_id.cached and by_id.config == CFG and same_weights(by_id.model, first.model)
    assert store.load(first.model_id[:6]).model_id == first.model_id  # unique prefix
    assert store.find(tiny, CFG).model_id == first.model_id


def test_key_covers_data_and_config_but_not_device(store, tiny):
    base = store.model_id(tiny, CFG)
    assert store.model_id(tiny, TrainConfig(n_factors=4, epochs=2, bs=256, device="auto")) == base
    assert store.model_id(tiny, TrainConfig(n_factors=4, epochs=2, bs=256, wd=0.5)) != base
    assert store.model_id(tiny, TrainConfig(n_factors=4, epochs=2, bs=256, seed=1)) != base
    other = make_dataset(tiny_ratings(seed=1), name="tiny")
    assert store.model_id(other, CFG) != base
    assert store.find(tiny, CFG) is None


def test_model_ids_of_existing_configs_do_not_change():
    """Ids written by earlier versions (pinned here) still find their entries: no silent retrain."""
    assert model_id_for("fp-ml100k", TrainConfig()) == "30efd661b893"
    assert model_id_for("fp-ml100k", TrainConfig(model="nn")) == "991e41ae506f"
    nn_custom = TrainConfig(model="nn", lr=0.01, nn_layers=(64, 32), nn_emb_sizes=(10, 20))
    assert model_id_for("fp-ml100k", nn_custom) == "f92614b65da9"
    sgd = TrainConfig(n_factors=4, epochs=2, bs=256, optimizer="sgd")
    assert model_id_for("fp-ml100k", sgd) == "e7fb04f24103"


def test_construction_only_creates_its_folder(tmp_path):
    root = tmp_path / "a" / "models"
    store = ModelStore(root, max_bytes=10**6)
    assert root.is_dir() and list(root.iterdir()) == []
    assert store.list() == [] and store.total_bytes() == 0


def test_default_model_uses_default_config_through_the_store(store, tiny):
    events = []
    sm = default_model(tiny, events.append, store=store)
    assert not sm.cached and sm.config == TrainConfig() and events
    assert sm.model_id == store.model_id(tiny, TrainConfig())
    assert default_model(tiny, store=store).cached


# -- damaged files are reported and retrained, never served --------------------------------------


def _truncate(store, model_id):
    p = store.root / f"{model_id}.safetensors"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _flip_bytes(store, model_id):
    p = store.root / f"{model_id}.safetensors"
    data = bytearray(p.read_bytes())
    for k in range(len(data) - 40, len(data) - 8):  # inside the last tensor, header intact
        data[k] ^= 0xFF
    p.write_bytes(bytes(data))


def _garbage_json(store, model_id):
    (store.root / f"{model_id}.json").write_text('{"model_id": "' + model_id + '", "format": 1, ')


def _write_weights(store, model_id, data: bytes) -> None:
    """Replace an entry's weights file, with metadata whose checksum and size match the new bytes."""
    (store.root / f"{model_id}.safetensors").write_bytes(data)
    meta_path = store.root / f"{model_id}.json"
    meta = json.loads(meta_path.read_text())
    meta.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    meta_path.write_text(json.dumps(meta))


def _pickle_weights(store, model_id):
    # A pickle could run code when loaded; it must be rejected unread, even with matching metadata.
    _write_weights(store, model_id, pickle.dumps({"u_weight.weight": np.zeros((3, 3))}))


def _wrong_format(store, model_id):
    meta_path = store.root / f"{model_id}.json"
    meta = json.loads(meta_path.read_text())
    meta["format"] = FORMAT_VERSION + 1
    meta_path.write_text(json.dumps(meta))


def _shape_mismatch(store, model_id):
    # Valid safetensors with a correct checksum, but tensors of the wrong shape for the config.
    p = store.root / f"{model_id}.safetensors"
    from safetensors.torch import load

    state = load(p.read_bytes())
    state["u_weight.weight"] = torch.zeros(state["u_weight.weight"].shape[0], 7)
    _write_weights(store, model_id, save_safetensors(state))


def _wrong_types(store, model_id):
    meta_path = store.root / f"{model_id}.json"
    meta = json.loads(meta_path.read_text())
    meta["size"] = "big"
    meta_path.write_text(json.dumps(meta))


def _missing_weights(store, model_id):
    (store.root / f"{model_id}.safetensors").unlink()


CORRUPTIONS = {
    "truncated": (_truncate, "truncated"),
    "flipped bytes": (_flip_bytes, "checksum mismatch"),
    "garbage json": (_garbage_json, "not valid JSON"),
    "pickle instead of safetensors": (_pickle_weights, "not a safetensors file"),
    "wrong format version": (_wrong_format, "store format"),
    "shape mismatch": (_shape_mismatch, "shape mismatch"),
    "missing weights": (_missing_weights, "weights file is missing"),
    "metadata of the wrong types": (_wrong_types, "wrong type"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_damaged_entry_is_reported_and_retrained(store, tiny, case):
    corrupt, reason = CORRUPTIONS[case]
    good = store.get_or_train(tiny, CFG)
    corrupt(store, good.model_id)

    with pytest.warns(ModelStoreWarning, match=reason):
        assert store.find(tiny, CFG) is None
    with pytest.raises(StoreError, match=reason):
        store.load(good.model_id)
    with pytest.warns(ModelStoreWarning, match=f"{good.model_id}.*{reason}.*retrained"):
        again = store.get_or_train(tiny, CFG)
    assert not again.cached and len(again.warnings) == 1 and reason in again.warnings[0]
    assert again.model_id == good.model_id
    assert same_weights(again.model, good.model)  # same seed, same data: the same model again

    # Repaired on disk: the next call is a clean hit.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hit = store.get_or_train(tiny, CFG)
    assert hit.cached and hit.warnings == []


def test_metadata_of_another_key_is_not_served(store, tiny):
    a = store.get_or_train(tiny, CFG)
    other_cfg = TrainConfig(n_factors=4, epochs=2, bs=256, wd=0.3)
    b_id = store.model_id(tiny, other_cfg)
    # Copy a's files under b's id (e.g. a user shuffling files by hand).
    (store.root / f"{b_id}.safetensors").write_bytes(
        (store.root / f"{a.model_id}.safetensors").read_bytes()
    )
    meta = json.loads((store.root / f"{a.model_id}.json").read_text())
    meta["model_id"] = b_id
    (store.root / f"{b_id}.json").write_text(json.dumps(meta))
    with pytest.warns(ModelStoreWarning, match="different data set or config"):
        b = store.get_or_train(tiny, other_cfg)
    assert not b.cached and b.meta["config"]["wd"] == 0.3


# -- concurrency ---------------------------------------------------------------------------------

RACE_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys, time
    from pathlib import Path
    import pandas as pd
    from collab_core.data import make_dataset
    from collab_core.config import TrainConfig
    from collab_core.store import ModelStore

    data, root, sync, me, other = sys.argv[1:6]
    ds = make_dataset(pd.read_parquet(data), name="tiny")
    store = ModelStore(root)
    # Start together: both processes are past their imports before either asks the store.
    Path(sync, me).touch()
    deadline = time.time() + 120
    while not Path(sync, other).exists() and time.time() < deadline:
        time.sleep(0.01)

    def slow(event):  # long enough that the other process surely asks while this one trains
        if event.kind == "epoch":
            time.sleep(0.4)

    sm = store.get_or_train(ds, TrainConfig(n_factors=4, epochs=2, bs=256), callback=slow)
    h = hashlib.sha256()
    for name, t in sorted(sm.model.state_dict().items()):
        h.update(name.encode())
        h.update(t.contiguous().numpy().tobytes())
    print(json.dumps({"trained": not sm.cached, "model_id": sm.model_id, "weights": h.hexdigest()}))
    """
)


def test_two_processes_train_the_same_key_once(tmp_path, tiny):
    data = tmp_path / "tiny.parquet"
    tiny.ratings.to_parquet(data)
    script = tmp_path / "race.py"
    script.write_text(RACE_SCRIPT)
    sync = tmp_path / "sync"
    sync.mkdir()
    root = tmp_path / "models"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(data), str(root), str(sync), me, other],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in (("a", "b"), ("b", "a"))
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["trained"] for r in results) == [False, True]
    # The id is the same in every process (the parent computes it too).
    assert results[0]["model_id"] == results[1]["model_id"] == ModelStore(root).model_id(tiny, CFG)
    assert results[0]["weights"] == results[1]["weights"]
    assert len(ModelStore(root).list()) == 1


def test_threads_sharing_one_store_train_once(store, tiny):
    trained = []

    def slow(event):
        if event.kind == "epoch":
            time.sleep(0.2)

    def ask():
        sm = store.get_or_train(tiny, CFG, callback=slow)
        trained.append((sm.cached, sm.model_id, weights_digest(sm.model)))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(c for c, _, _ in trained) == [False, True, True]
    assert len({(mid, w) for _, mid, w in trained}) == 1


def test_waiting_for_another_training_can_be_cancelled(store, tiny):
    model_id = store.model_id(tiny, CFG)
    # Another trainer holds the key's lock; the waiting caller gives up when asked to.
    with store._lock(model_id), pytest.raises(TrainingCancelled, match="waiting"):
        store.get_or_train(tiny, CFG, cancel=lambda: True)
    assert store.list() == []


def test_cancelled_training_leaves_nothing_in_the_store(store, tiny):
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3  # stop a few batches in

    with pytest.raises(TrainingCancelled):
        store.get_or_train(tiny, CFG, cancel=cancel)
    assert store.list() == []
    assert [p.name for p in store.root.iterdir() if p.name != ".locks"] == []
    assert not store.get_or_train(tiny, CFG).cached  # and the key is not left locked


# -- listing, removing, size cap -----------------------------------------------------------------


def test_list_and_remove(store, tiny, capsys):
    a = store.get_or_train(tiny, CFG)
    other = make_dataset(tiny_ratings(seed=3), name="other")
    b = store.get_or_train(
        other, TrainConfig(model="nn", n_factors=3, epochs=1, bs=256, nn_layers=(8,))
    )
    rows = store.list()
    assert {r["model_id"] for r in rows} == {a.model_id, b.model_id}
    row = next(r for r in rows if r["model_id"] == a.model_id)
    assert (row["model"], row["n_factors"], row["wd"]) == ("dot", 4, CFG.resolved().wd)
    assert row["valid_rmse"] == pytest.approx(a.metrics["valid_rmse"])
    assert row["size"] == a.meta["size"] and row["dataset"] == "tiny" and row["problem"] is None
    assert [r["model_id"] for r in store.list(fingerprint=other.fingerprint)] == [b.model_id]
    assert store.total_bytes() > a.meta["size"] + b.meta["size"]

    with pytest.raises(StoreError, match="No stored model has the id 'nope'"):
        store.remove("nope")
    for bad in ("../etc", "*", a.model_id + "0"):  # never a path or a glob
        with pytest.raises(StoreError, match="hex digits"):
            store.remove(bad)
    store.remove(a.model_id)
    assert [r["model_id"] for r in store.list()] == [b.model_id]
    with pytest.raises(StoreError, match="No stored model"):
        store.load(a.model_id)
    assert not store.get_or_train(tiny, CFG).cached  # removed means retrained on demand


def test_info_reads_metadata_without_loading_or_counting_as_a_use(store, tiny):
    a = store.get_or_train(tiny, CFG)
    meta_path = store.root / f"{a.model_id}.json"
    os.utime(meta_path, ns=(1_000_000_000, 1_000_000_000))  # "last used" long ago
    info = store.info(a.model_id[:6])  # a unique start of the id, like load
    assert info["config"] == json.loads(json.dumps(CFG.key()))
    assert info["metrics"]["valid_rmse"] == pytest.approx(a.metrics["valid_rmse"])
    assert len(info["history"]) == CFG.epochs
    assert meta_path.stat().st_mtime_ns == 1_000_000_000  # the size cap still sees it as unused
    store.load(a.model_id)
    assert meta_path.stat().st_mtime_ns > 1_000_000_000  # whereas a load is a use
    with pytest.raises(StoreError, match="No stored model"):
        store.info("abcdef")
    _garbage_json(store, a.model_id)
    with pytest.raises(StoreError, match="not valid JSON"):
        store.info(a.model_id)


def test_list_shows_damaged_metadata_so_it_can_be_removed(store, tiny):
    a = store.get_or_train(tiny, CFG)
    _garbage_json(store, a.model_id)
    [row] = store.list()
    assert row["model_id"] == a.model_id and "JSON" in row["problem"]
    assert store.list(fingerprint=tiny.fingerprint) == []
    store.remove(a.model_id)
    assert store.list() == [] and list(store.root.glob("*.safetensors")) == []


def test_cli_models_lists_and_removes(tiny, capsys):
    store = ModelStore()  # the session's $COLLAB_EXPLORER_HOME, as the CLI uses
    sm = store.get_or_train(tiny, CFG)
    assert cli_main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sm.model_id in {r["model_id"] for r in rows}
    assert cli_main(["models"]) == 0
    text = capsys.readouterr().out
    assert sm.model_id in text and "RMSE" in text and "tiny" in text

    assert cli_main(["models", "rm", "0000000000zz"]) == 2
    err = capsys.readouterr().err
    assert (
        "error: No stored model has the id '0000000000zz'" in err
        and "collab-explorer models" in err
    )
    assert cli_main(["models", "rm", sm.model_id]) == 0
    assert sm.model_id in capsys.readouterr().out
    assert sm.model_id not in {r["model_id"] for r in store.list()}


def test_size_cap_evicts_least_recently_used(tmp_path, tiny):
    configs = [TrainConfig(n_factors=4, epochs=1, bs=256, seed=s) for s in range(3)]
    probe = ModelStore(tmp_path / "probe")
    probe.get_or_train(tiny, configs[0])
    one = probe.total_bytes()  # every config here has the same shapes, so the same size

    store = ModelStore(tmp_path / "models", max_bytes=int(2.5 * one))
    a = store.get_or_train(tiny, configs[0])
    b = store.get_or_train(tiny, configs[1])
    assert store.load(a.model_id).cached  # a is now more recently used than b
    c = store.get_or_train(tiny, configs[2])
    kept = {r["model_id"] for r in store.list()}
    assert kept == {a.model_id, c.model_id}, (b.model_id, kept)
    assert store.total_bytes() <= store.max_bytes

    # A single model bigger than the cap is still kept (the cap cannot be met by evicting it).
    tight = ModelStore(tmp_path / "tight", max_bytes=10)
    assert not tight.get_or_train(tiny, configs[0]).cached
    assert len(tight.list()) == 1


def test_size_cap_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COLLAB_EXPLORER_STORE_MAX_MB", "1.5")
    assert ModelStore(tmp_path / "m").max_bytes == 1_500_000
    monkeypatch.setenv("COLLAB_EXPLORER_STORE_MAX_MB", "lots")
    with pytest.raises(StoreError, match="COLLAB_EXPLORER_STORE_MAX_MB='lots' is not a number"):
        ModelStore(tmp_path / "m")
    monkeypatch.delenv("COLLAB_EXPLORER_STORE_MAX_MB")
    assert ModelStore(tmp_path / "m").max_bytes is None


def test_a_failed_save_serves_the_model_but_leaves_nothing_visible(store, tiny, monkeypatch):
    from collab_core import paths

    real_write = paths.atomic_write

    def crash_on_metadata(path, data):
        if path.suffix == ".json":
            raise OSError("disk full")
        real_write(path, data)

    monkeypatch.setattr(paths, "atomic_write", crash_on_metadata)
    with pytest.warns(ModelStoreWarning, match="Could not save .*disk full.*not cached"):
        served = store.get_or_train(tiny, CFG)
    assert not served.cached and "disk full" in served.warnings[0]  # the training is not lost
    assert store.find(tiny, CFG) is None and store.list() == []  # but nothing half-written shows
    assert [p.name for p in store.root.iterdir() if p.name != ".locks"] == []
    monkeypatch.setattr(paths, "atomic_write", real_write)
    assert not store.get_or_train(tiny, CFG).cached
    assert store.get_or_train(tiny, CFG).cached


def test_cli_train_goes_through_the_store(tmp_path, capsys):
    data = tmp_path / "tiny_ratings.csv"
    tiny_ratings(seed=5).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--epochs", "1", "--factors", "3", "--json"]
    assert cli_main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["cached"] is False
    assert cli_main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["cached"] is True and second["model_id"] == first["model_id"]
    assert second["valid_rmse"] == first["valid_rmse"]
    row = next(r for r in ModelStore().list() if r["model_id"] == first["model_id"])
    assert (row["dataset"], row["n_factors"], row["epochs"]) == ("tiny_ratings", 3, 1)

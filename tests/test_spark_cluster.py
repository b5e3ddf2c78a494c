"""Training through a real standalone Spark cluster (a master and a worker on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from collab_core import spark_train
from collab_core.config import TrainConfig
from collab_core.models import FactorModel
from collab_core.synthetic import generate

START_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(ready, what: str, procs: list[subprocess.Popen], log: Path) -> None:
    """Until `ready()`, at most START_TIMEOUT_S; a process that died fails at once, with its log."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            pytest.fail(f"the {what} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(proc: subprocess.Popen) -> None:
    """Stop a daemon and everything it started (its executors): its whole process group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # an executor JVM left behind in the group


@contextmanager
def standalone_cluster(tmp: Path):
    """`spark://127.0.0.1:PORT` of a master and one worker started from the pip package's
    `bin/spark-class`, on free ports; both are always stopped."""
    import pyspark

    home = Path(pyspark.__file__).parent
    env = dict(os.environ, SPARK_HOME=str(home), PYSPARK_PYTHON=sys.executable)
    env["SPARK_LOG_DIR"] = env["SPARK_WORKER_DIR"] = str(tmp)
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    log = tmp / "cluster.log"
    procs: list[subprocess.Popen] = []
    with open(log, "w") as out:
        try:
            cls = "org.apache.spark.deploy"
            master = [f"{cls}.master.Master", "--host", "127.0.0.1", "--port", str(port)]
            master += ["--webui-port", str(_free_port())]
            procs.append(_daemon(home, master, env, out))
            _wait(lambda: _listening(port), "Spark master", procs, log)
            worker = [f"{cls}.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1"]
            worker += ["--memory", "2g", "--webui-port", str(_free_port())]
            worker += ["--work-dir", str(tmp / "work")]
            procs.append(_daemon(home, worker, env, out))
            _wait(lambda: "Registering worker" in log.read_text(), "Spark worker", procs, log)
            yield url
        finally:
            for proc in reversed(procs):
                _stop(proc)


def _daemon(home: Path, args: list[str], env: dict, out) -> subprocess.Popen:
    return subprocess.Popen(
        [str(home / "bin" / "spark-class"), *args],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stopping it stops its children too
    )


def test_trains_through_a_standalone_master_and_worker(tmp_path, monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the executors' Python
    small = generate(n_ratings=2000, n_users=50, n_items=120, seed=1)
    # Plain ALS, two iterations: every job is a round trip to the executor; few keep it short.
    config = TrainConfig(model="als", n_factors=4, epochs=2, als_biases=False)
    with standalone_cluster(tmp_path) as url:
        result = spark_train.SparkTrainer(url).fit(small, config)
    assert isinstance(result.model, FactorModel) and result.device == f"spark {url}"
    assert result.metrics["valid_rmse"] < 1.2
    log = (tmp_path / "cluster.log").read_text()
    assert "Launching executor" in log or "Asked to launch executor" in log

"""Compiled CPU kernels (numba) for the dot model: one fused pass per batch, lazy Adam/SGD, scoring.

The algorithm is exactly `training._FusedDot`'s (see there and the `training` docstring): users and
items share one float32 table `[n_users + n_items, k + 1]` (bias last), the loss is the mean squared
error through `sigmoid_range` plus the per-example L2 on the batch's rows, and only the rows a batch
touches get an optimiser update. What changes is the cost: torch makes ~20 memory-bound passes over
the batch (gather, unique, scatter, Adam ops); here each rating's two rows are read once, the
gradient is summed into a compact per-batch buffer, and each touched row is updated in one loop.

Determinism: gradients are summed per row in example order (one thread), so a seed gives the same
result whatever the thread count. With `threads > 1` the row updates (independent rows) and the
validation scoring (fixed chunks, summed in order) run on numba's thread pool; the default is one
thread, because two did not help on our shared 2-core machine and because numba's fallback
"workqueue" threading layer (no OpenMP/TBB) aborts when two Python threads (two app sessions) enter
parallel code at once. Every kernel releases the GIL (`nogil`).

`AVAILABLE` is False when numba cannot be imported; `training` then falls back to the torch path.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
    from numba import njit, prange

    AVAILABLE = True
except ImportError:  # pragma: no cover - numba is a dependency, but keep torch as the fallback
    numba = None
    AVAILABLE = False

# Only the reassociation that lets LLVM vectorise the k-wide loops; no "nnan"/"ninf", so a
# diverging run still returns a non-finite loss for `fit` to report.
_FASTMATH = {"reassoc", "contract"}
SCORE_CHUNKS = 64  # fixed chunks so the validation sums do not depend on the thread count


def _jit(parallel: bool = False):
    # error_model="numpy": no zero-division check (a branch per division), which blocks SIMD.
    return njit(cache=True, nogil=True, fastmath=_FASTMATH, parallel=parallel, error_model="numpy")


if AVAILABLE:

    @_jit()
    def _accumulate(data, batch, state, scratch, n_users, lo, hi, c_wd):
        """Forward pass and gradient of the ratings `batch`, summed per touched row into `grad`.

        `slot[row]` is the row's position in `rows`/`grad` (-1: not touched yet), so a row seen
        twice in the batch accumulates in place. Returns (squared-error sum, n touched, d loss/d g).
        Three short loops rather than one long one: with little work per iteration the CPU keeps
        many independent random reads in flight, and the table rows are in cache for the last loop.
        """
        users, items, ratings = data
        table, g = state[0], state[3]
        slot, rows, grad, bu, bi, dx = scratch
        k = table.shape[1] - 1
        n = len(batch)
        span, lo32 = np.float32(hi - lo), np.float32(lo)
        c_dx = np.float32(2.0 * (hi - lo) / n)  # d mean-squared-error / d logit, over s(1-s) err
        c = np.float32(c_wd)
        g0 = g[0]
        for j in range(n):  # gather the batch's indices
            e = batch[j]
            bu[j] = users[e]
            bi[j] = items[e] + n_users
            dx[j] = ratings[e]
        loss = 0.0
        g_grad = np.float32(0.0)
        for j in range(n):  # forward: prediction, error, d loss / d logit
            ru, ri = bu[j], bi[j]
            x = table[ru, k] + table[ri, k] + g0
            for f in range(k):
                x += table[ru, f] * table[ri, f]
            s = np.float32(1.0) / (np.float32(1.0) + math.exp(-x))
            err = s * span + lo32 - dx[j]
            loss += err * err
            d = err * s * (np.float32(1.0) - s) * c_dx
            g_grad += d
            dx[j] = d
        n_rows = 0
        for j in range(n):  # backward (with the per-example L2), summed per row in example order
            ru, ri, d = bu[j], bi[j], dx[j]
            su = slot[ru]
            if su < 0:
                su, slot[ru], rows[n_rows] = n_rows, n_rows, ru
                grad[su, :] = 0.0
                n_rows += 1
            si = slot[ri]
            if si < 0:
                si, slot[ri], rows[n_rows] = n_rows, n_rows, ri
                grad[si, :] = 0.0
                n_rows += 1
            for f in range(k):
                pu, qi = table[ru, f], table[ri, f]
                grad[su, f] += c * pu + d * qi
                grad[si, f] += c * qi + d * pu
            grad[su, k] += c * table[ru, k] + d
            grad[si, k] += c * table[ri, k] + d
        return loss, n_rows, g_grad

    @_jit()
    def _adam(w, grad, m, v, h):
        """Adam on one weight: (new weight, m, v). `h` holds (lr, beta1, beta2, eps, 1 / bias
        correction 1, 1 / bias correction 2, 1 - beta1, 1 - beta2) in the weight's precision."""
        lr, b1, b2, eps, ibc1, ibc2, one_b1, one_b2 = h
        m = b1 * m + one_b1 * grad
        v = b2 * v + one_b2 * grad * grad
        return w - lr * (m * ibc1) / (math.sqrt(v * ibc2) + eps), m, v

    @_jit()
    def _momentum(w, grad, m, h):
        """SGD with momentum (beta1 in `h`, as for `_adam`) on one weight: (new weight, m)."""
        m = h[1] * m + grad
        return w - h[0] * m, m

    @_jit()
    def _hyper(lr, b1, b2, bc1, bc2):
        """`_adam`'s `h` in float32 (for the table) and in float64 (for the global bias)."""
        f = np.float32
        h32 = (
            f(lr),
            f(b1),
            f(b2),
            f(1e-8),
            f(1.0 / bc1),
            f(1.0 / bc2),
            f(1.0) - f(b1),
            f(1.0) - f(b2),
        )
        h64 = (lr, b1, b2, 1e-8, 1.0 / bc1, 1.0 / bc2, 1.0 - b1, 1.0 - b2)
        return h32, h64

    @_jit()
    def _update_span(state, scratch, p0, p1, h, adam):
        """Lazy Adam (or SGD momentum) on touched rows `rows[p0:p1]`; resets their `slot`."""
        table, m, v = state[0], state[1], state[2]
        slot, rows, grad = scratch[0], scratch[1], scratch[2]
        for p in range(p0, p1):
            row = rows[p]
            slot[row] = -1
            if adam:
                for f in range(table.shape[1]):
                    table[row, f], m[row, f], v[row, f] = _adam(
                        table[row, f], grad[p, f], m[row, f], v[row, f], h
                    )
            else:
                for f in range(table.shape[1]):
                    table[row, f], m[row, f] = _momentum(table[row, f], grad[p, f], m[row, f], h)

    @_jit()
    def _global_step(state, grad, h, adam):
        """The global bias's step, in float64 (`gs` = [unused, m, v]), stored as float32."""
        g, gs = state[3], state[4]
        if adam:
            w, gs[1], gs[2] = _adam(np.float64(g[0]), np.float64(grad), gs[1], gs[2], h)
        else:
            w, gs[1] = _momentum(np.float64(g[0]), np.float64(grad), gs[1], h)
        g[0] = np.float32(w)

    @_jit()
    def _step(data, batch, state, scratch, n_users, lo, hi, wd, opt):
        """One batch on one thread: gradient pass, row updates, global bias. Returns the loss sum."""
        lr, b1, b2, bc1, bc2, adam = opt
        loss, n_rows, g_grad = _accumulate(
            data, batch, state, scratch, n_users, lo, hi, 2.0 * wd / len(batch)
        )
        h32, h64 = _hyper(lr, b1, b2, bc1, bc2)
        _update_span(state, scratch, 0, n_rows, h32, adam)
        _global_step(state, g_grad, h64, adam)
        return loss

    @_jit(parallel=True)
    def _step_par(data, batch, state, scratch, n_users, lo, hi, wd, opt, n_chunks):
        """`_step` with the row updates split into `n_chunks` spans on numba's threads."""
        lr, b1, b2, bc1, bc2, adam = opt
        loss, n_rows, g_grad = _accumulate(
            data, batch, state, scratch, n_users, lo, hi, 2.0 * wd / len(batch)
        )
        h32, h64 = _hyper(lr, b1, b2, bc1, bc2)
        size = (n_rows + n_chunks - 1) // n_chunks
        for ch in prange(n_chunks):
            _update_span(state, scratch, ch * size, min(n_rows, (ch + 1) * size), h32, adam)
        _global_step(state, g_grad, h64, adam)
        return loss

    @_jit()
    def _score_chunk(data, e0, e1, table, g, n_users, user_ok, item_ok, lo, hi):
        """(sum of squared errors, sum of absolute errors) of `DotProductBias.predict`, e0..e1.

        An unknown (-1) or untrained user/item contributes neither factors nor bias, as in `predict`.
        """
        users, items, ratings = data
        k = table.shape[1] - 1
        span, lo32 = np.float32(hi - lo), np.float32(lo)
        s2 = 0.0
        s1 = 0.0
        for e in range(e0, e1):
            u, i = users[e], items[e]
            uk = u >= 0 and user_ok[u]
            ik = i >= 0 and item_ok[i]
            x = g[0]
            if uk:
                x += table[u, k]
            if ik:
                x += table[i + n_users, k]
            if uk and ik:
                ri = i + n_users
                for f in range(k):
                    x += table[u, f] * table[ri, f]
            pred = np.float32(1.0) / (np.float32(1.0) + math.exp(-x)) * span + lo32
            err = np.float64(pred) - np.float64(ratings[e])
            s2 += err * err
            s1 += abs(err)
        return s2, s1

    @_jit()
    def _score(data, table, g, n_users, user_ok, item_ok, lo, hi):
        n = len(data[2])
        size = (n + SCORE_CHUNKS - 1) // SCORE_CHUNKS
        sq, ab = 0.0, 0.0
        for ch in range(SCORE_CHUNKS):  # the same chunks, summed in the same order, as _score_par
            s2, s1 = _score_chunk(
                data, ch * size, min(n, (ch + 1) * size), table, g, n_users, user_ok, item_ok,
                lo, hi,
            )  # fmt: skip
            sq += s2
            ab += s1
        return sq, ab

    @_jit(parallel=True)
    def _score_par(data, table, g, n_users, user_ok, item_ok, lo, hi):
        n = len(data[2])
        size = (n + SCORE_CHUNKS - 1) // SCORE_CHUNKS
        sq = np.zeros(SCORE_CHUNKS)
        ab = np.zeros(SCORE_CHUNKS)
        for ch in prange(SCORE_CHUNKS):
            sq[ch], ab[ch] = _score_chunk(
                data, ch * size, min(n, (ch + 1) * size), table, g, n_users, user_ok, item_ok,
                lo, hi,
            )  # fmt: skip
        s2, s1 = 0.0, 0.0
        for ch in range(SCORE_CHUNKS):
            s2 += sq[ch]
            s1 += ab[ch]
        return s2, s1


class DotKernel:
    """State and steps of the compiled dot-model trainer (numpy arrays shared with `training`).

    `table` is `[n_users + n_items, k + 1]` float32 (bias last), `g` the global bias `[1]`.
    `threads > 1` runs the row updates and scoring on numba's thread pool; the result is the same.
    """

    def __init__(
        self,
        table: np.ndarray,
        g: np.ndarray,
        n_users: int,
        y_range: tuple[float, float],
        wd: float,
        adam: bool,
        max_batch: int,
        threads: int = 1,
    ):
        if not AVAILABLE:
            raise RuntimeError("numba is not installed")
        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self.g = np.asarray(g, dtype=np.float32).reshape(1).copy()
        self.n_users, self.wd, self.adam = n_users, float(wd), bool(adam)
        self.lo, self.hi = float(y_range[0]), float(y_range[1])
        m = np.zeros_like(self.table)
        v = np.zeros_like(self.table) if adam else np.zeros((1, 1), np.float32)
        gs = np.zeros(3)  # the global bias's optimiser state (m, v at 1, 2), float64
        self.state = (self.table, m, v, self.g, gs)
        # Per-batch scratch: `slot` maps a table row to its row in `grad` (-1: untouched), `rows`
        # the reverse; a row is touched at most once per batch, so at most 2 rows per rating.
        touched = min(2 * max_batch, len(self.table))
        self.scratch = (
            np.full(len(self.table), -1, dtype=np.int32),  # slot
            np.zeros(touched, dtype=np.int64),  # rows
            np.zeros((touched, self.table.shape[1]), dtype=np.float32),  # grad
            np.zeros(max_batch, dtype=np.int32),  # the batch's user rows
            np.zeros(max_batch, dtype=np.int32),  # the batch's item rows
            np.zeros(max_batch, dtype=np.float32),  # ratings, then d loss / d logit
        )
        self.threads = max(1, int(threads))
        self.t = 0

    def _pool(self) -> int:
        n = min(self.threads, numba.config.NUMBA_NUM_THREADS)
        numba.set_num_threads(n)
        return n

    def step(self, users, items, ratings, batch: np.ndarray, lr: float, mom: float) -> float:
        """One batch: the ratings at indices `batch` (int64). Returns its mean squared error."""
        self.t += 1
        b1, b2 = mom, 0.99
        bc1, bc2 = (1 - b1**self.t, 1 - b2**self.t) if self.adam else (1.0, 1.0)
        opt = (float(lr), float(b1), b2, bc1, bc2, self.adam)
        args = ((users, items, ratings), batch, self.state, self.scratch, self.n_users)
        hyper = (self.lo, self.hi, self.wd, opt)
        if self.threads > 1:
            loss = _step_par(*args, *hyper, 4 * self._pool())
        else:
            loss = _step(*args, *hyper)
        return loss / len(batch)

    def score(self, users, items, ratings, user_ok, item_ok) -> tuple[float, float]:
        """(MSE, MAE) on a rating set, like `DotProductBias.predict` would give."""
        n = len(ratings)
        if n == 0:
            return float("nan"), float("nan")
        args = ((users, items, ratings), self.table, self.g, self.n_users, user_ok, item_ok)
        if self.threads > 1:
            self._pool()
            sq, ab = _score_par(*args, self.lo, self.hi)
        else:
            sq, ab = _score(*args, self.lo, self.hi)
        return sq / n, ab / n


_CHECKED: dict[int, str | None] = {}


def failure(threads: int = 1) -> str | None:
    """Why the kernels cannot run here (None: they can), found once by a tiny compiled run.

    numba can import and still fail to compile on an unusual platform (or after a numba/numpy
    upgrade); `training` then uses its PyTorch path instead of failing mid-training.
    """
    if threads not in _CHECKED:
        if not AVAILABLE:
            _CHECKED[threads] = "numba is not installed"
        else:
            try:
                kernel = DotKernel(
                    np.zeros((3, 3), np.float32), np.zeros(1), 1, (0.0, 5.5), 0.1, True, 2, threads
                )
                u, i = np.zeros(2, np.int32), np.array([0, 1], np.int32)  # as training gives
                r, batch = np.array([4.0, 2.0], np.float32), np.arange(2, dtype=np.int64)
                kernel.step(u, i, r, batch, 0.01, 0.9)
                ok = np.ones(1, bool), np.ones(2, bool)
                mse, _ = kernel.score(u, i, r, *ok)
                if not math.isfinite(mse):
                    raise FloatingPointError(f"a test batch scored {mse}")
                _CHECKED[threads] = None
            except Exception as exc:  # noqa: BLE001 - any failure means: do not use them
                _CHECKED[threads] = f"{type(exc).__name__}: {exc}"
    return _CHECKED[threads]

"""Native thread pools on the query path.

A question's matrix products are small: one vector, or a few clause windows, against a bank of a few
thousand rows. OpenBLAS splits each over every core all the same, and on a small machine where
another process holds a core the split waits for that core's turn: 8 ms for a product that takes
0.08 ms on one thread (2 cores, load average 5). One BLAS thread costs next to nothing when the
machine is idle and, measured over the golden questions under load, cuts a warm answer by a third.
"""

from __future__ import annotations


def single_threaded_blas() -> None:
    """Run numpy's BLAS on one thread in this process from now on (threadpoolctl, which
    scikit-learn, a dependency of sentence-transformers, already installs)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")

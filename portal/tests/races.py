"""Race-test helper shared by the apps' PostgreSQL race tests: run calls in threads started together."""

from __future__ import annotations

import threading
import time

from django.db import connection


def concurrently(*calls, timeout: float = 60):
    """Run the calls in threads released together by a barrier; returns per call ``(kind, value, seconds)``:
    ("ok", result, …) or ("error", exception, …), and how long the call took after the barrier — so a test
    can show that the second thread really waited for the first one's lock."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        started = None
        try:
            barrier.wait()
            started = time.monotonic()
            results[index] = ("ok", call(), time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[index] = ("error", exc, time.monotonic() - (started or time.monotonic()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert all(r is not None for r in results), results
    return results

"""The embedded broker of ``make run``: kombu's filesystem transport, made safe for concurrent processes (OPS-2).

``CELERY_BROKER_URL=filesystem://`` (the default without ``REDIS_URL``) uses this transport, registered as
``portalfs`` (settings rewrite ``filesystem://`` to ``portalfs://``). kombu's own filesystem transport lets
web, worker and beat corrupt each other's view of a message:

- a writer creates the message file, then locks it and writes; a reader moves it away and reads it without
  the lock, so it can read a half-written file: ``JSONDecodeError``, and the worker dies (with 8 clients
  polling ``/health/``, whose worker ping is a broadcast message, within seconds);
- the reader moves the file to the system temporary folder, which may be another file system: the "move"
  is then copy and delete, and two consumers can both copy the same message;
- the exchange table (the bindings the broadcast ``ping`` fans out to) is truncated by ``open("wb")``
  before its lock is taken, so a reader can find it empty.

This transport writes every message to a hidden ``.incoming`` folder inside the queue folder and
``os.replace``\\ s it into place (atomic on POSIX: a reader sees the whole message or none), claims a message
by renaming it into the processed folder (atomic on one file system: exactly one consumer wins), rewrites
the exchange table the same way under a lock file, and sets aside a message it cannot decode (logged, moved
to ``*.bad``) instead of dying on it.

Why not another server-less transport: kombu's SQLAlchemy transport needs SQLAlchemy and has no fanout
exchange, so the broadcast ``ping`` of ``/health/`` could not reach the worker; ``memory://`` lives inside one
process. The filesystem transport has fanout and needs nothing; only its writes and claims were unsafe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import uuid
from pathlib import Path
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

ALIAS = "portalfs"
INCOMING = ".incoming"


def _write_atomically(folder: str | Path, final_name: str, data: bytes) -> None:
    """Write ``data`` to a temporary file in ``folder/.incoming``, then rename it to ``folder/final_name``."""
    incoming = Path(folder) / INCOMING
    incoming.mkdir(exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=incoming, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, Path(folder) / final_name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # A sortable name (nanoseconds since the epoch, zero-padded), unique, ending in ``.<queue>.msg``.
        name = f"{time.time_ns():020d}_{uuid.uuid4().hex}.{queue}.msg"
        try:
            _write_atomically(self.data_folder_out, name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add message {name!r} to {self.data_folder_out!r}") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.processed_folder, filename)
            try:
                os.rename(os.path.join(self.data_folder_in, filename), claimed)  # atomic: one consumer wins
            except FileNotFoundError:
                continue  # another consumer took it
            except OSError as exc:
                raise ChannelError(f"Cannot claim {filename!r} from the queue folder") from exc
            try:
                with open(claimed, "rb") as handle:
                    data = handle.read()
                payload = loads(bytes_to_str(data))
            except (ValueError, UnicodeDecodeError) as exc:
                logger.error("Broker: set aside undecodable message %s (%s)", filename, exc)
                os.replace(claimed, claimed + ".bad")
                continue
            if not self.store_processed:
                os.unlink(claimed)
            return payload
        raise Empty()

    # The exchange table: complete versions replace each other (readers need no lock); writers take turns
    # on a lock file, so two bindings at once do not lose one another.

    def _table_lock(self, exchange):
        return open(str(self._exchange_file(exchange)) + ".lock", "a+b")  # noqa: SIM115 - closed in callers

    def _read_table(self, file: Path) -> list:
        try:
            return [filesystem.exchange_queue_t(*q) for q in loads(bytes_to_str(file.read_bytes()))]
        except FileNotFoundError:
            return []
        except (ValueError, UnicodeDecodeError):
            logger.error("Broker: exchange table %s was unreadable; starting it anew", file)
            return []

    def get_table(self, exchange):
        """The bindings on disk plus the ones this process declared. kombu records a binding in the process's
        shared state before ``_queue_bind`` writes it to disk, and skips the write in every other thread that
        declares it meanwhile: without the in-memory entries a thread publishing in that window found no
        queue and its message was dropped (tests/jobs/test_broker.py, producers in threads)."""
        table = self._read_table(self._exchange_file(exchange))
        declared = self.state.exchanges.get(exchange, {}).get("table", [])
        for meta in declared:
            entry = filesystem.exchange_queue_t(*meta)
            if entry not in table:
                table.append(entry)
        return table

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            with self._table_lock(exchange) as lock_file:
                filesystem.lock(lock_file, filesystem.LOCK_EX)
                try:
                    table = self._read_table(file)
                    if entry not in table:
                        table.insert(0, entry)
                        _write_atomically(self.control_folder, file.name, str_to_bytes(dumps(table)))
                finally:
                    filesystem.unlock(lock_file)
        except OSError as exc:
            raise ChannelError(f"Cannot bind {queue!r} in {file}") from exc

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # The virtual channel's own bookkeeping first (kombu's filesystem Channel._delete's first step).
        super(filesystem.Channel, self)._delete(queue, exchange, routing_key, pattern, *args, **kwargs)
        file = self._exchange_file(exchange)
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        if not file.exists():
            return
        with self._table_lock(exchange) as lock_file:
            filesystem.lock(lock_file, filesystem.LOCK_EX)
            try:
                table = self._read_table(file)
                if entry in table:
                    table.remove(entry)
                    _write_atomically(self.control_folder, file.name, str_to_bytes(dumps(table)))
            finally:
                filesystem.unlock(lock_file)


class FilesystemTransport(filesystem.Transport):
    """kombu's filesystem transport with atomic writes and claims (see the module docstring)."""

    Channel = Channel
    driver_name = ALIAS


def register() -> None:
    """Make ``portalfs://`` resolve to this transport (called when the Celery app is created)."""
    TRANSPORT_ALIASES.setdefault(ALIAS, "portal.broker:FilesystemTransport")

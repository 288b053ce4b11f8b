"""The embedded broker (portal.broker): messages written and claimed atomically by concurrent producers and
consumers, an undecodable message set aside instead of killing the consumer. Tests OPS-2 (a broker that needs
no server), the "dev broker that cannot crash" of issue 9."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from kombu import Connection

from portal import broker


def _options(folder: Path) -> dict:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


@pytest.fixture
def folder(tmp_path):
    broker.register()
    return tmp_path


def test_ops2_settings_use_the_safe_transport_for_filesystem_urls(settings):
    from portal.celery import app

    if settings.CELERY_BROKER_URL.startswith("portalfs://"):
        with app.connection_for_write() as connection:
            assert connection.transport_cls == "portalfs"
            assert isinstance(connection.transport, broker.FilesystemTransport)
    with Connection("portalfs://") as connection:
        assert isinstance(connection.transport, broker.FilesystemTransport)


def test_ops2_concurrent_producers_and_consumers_see_every_message_once_and_whole(folder):
    """Large messages from four producers, read by three consumers while they are written: with kombu's own
    filesystem transport the readers get half-written files (JSONDecodeError)."""
    options = _options(folder)
    producers, per_producer, size = 4, 60, 200_000
    received: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def produce(number: int) -> None:
        try:
            with Connection("portalfs://", transport_options=options) as connection:
                queue = connection.SimpleQueue("stress")
                for index in range(per_producer):
                    queue.put({"producer": number, "index": index, "pad": "x" * size})
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def consume() -> None:
        try:
            with Connection("portalfs://", transport_options=options) as connection:
                queue = connection.SimpleQueue("stress")
                # SimpleQueue buffers what one poll delivered: the queue is drained when both are empty.
                while not (done.is_set() and queue.qsize() == 0 and not queue.buffer):
                    try:
                        message = queue.get(timeout=0.05)
                    except queue.Empty:
                        continue
                    body = message.payload
                    assert len(body["pad"]) == size
                    received.append((body["producer"], body["index"]))
                    message.ack()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    consumers = [threading.Thread(target=consume) for _ in range(3)]
    writers = [threading.Thread(target=produce, args=(number,)) for number in range(producers)]
    for thread in consumers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in consumers:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(received) == [(p, i) for p in range(producers) for i in range(per_producer)]
    assert list((folder / "queue").glob("*.msg")) == []
    assert list((folder / "queue" / broker.INCOMING).iterdir()) == []  # no temporary file left behind


def test_ops2_an_undecodable_message_is_set_aside_not_fatal(folder, caplog):
    options = _options(folder)
    with Connection("portalfs://", transport_options=options) as connection:
        queue = connection.SimpleQueue("q")
        # What kombu's own writer leaves for a moment (created, not yet written), kept for good:
        (folder / "queue" / "00000000000000000001_deadbeef.q.msg").write_bytes(b'{"body": "eyJ')
        queue.put({"ok": True})
        message = queue.get(timeout=1)
        assert message.payload == {"ok": True}
        message.ack()
    assert [p.name for p in (folder / "processed").iterdir()] == ["00000000000000000001_deadbeef.q.msg.bad"]
    assert "set aside undecodable message" in caplog.text


def test_ops2_bindings_written_at_once_are_all_kept(folder):
    """The broadcast exchange's table (who gets a ``ping``) is rewritten atomically under a lock file."""
    options = _options(folder)
    errors: list[BaseException] = []

    def bind(number: int) -> None:
        try:
            with Connection("portalfs://", transport_options=options) as connection:
                channel = connection.default_channel
                for index in range(20):
                    channel._queue_bind("fan", "", "", f"q{number}-{index}")
                    assert channel.get_table("fan")  # never read empty or half-written
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=bind, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Connection("portalfs://", transport_options=options) as connection:
        table = connection.default_channel.get_table("fan")
    assert sorted(entry.queue for entry in table) == sorted(f"q{n}-{i}" for n in range(4) for i in range(20))

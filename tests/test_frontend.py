"""Kernel side of the insertion protocol: message shape, waiting for the reply, the file fallback."""

from __future__ import annotations

import threading
import time

import nbformat
import pytest

from jupyter_iotcoder import frontend
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.frontend import (COMM_TARGET, deliver, fallback_path, generated_cells, insert_request,
                                       request_insertion, source_fingerprint, write_fallback)
from jupyter_iotcoder.pipeline import generate
from scripted_answers import REQUIREMENT, full_run

from conftest import ScriptedRuntime


@pytest.fixture(scope="module")
def result():
    return generate(REQUIREMENT, ScriptedRuntime(full_run(validated=False)), GenerationConfig(validate=False))


class FakeFrontend:
    """Stands in for the comm the kernel opens: answers with `replies` (data dicts) after `delay` seconds.

    A reply may use the request id "{id}", which is replaced by the real one; `close` closes the comm
    instead of answering, as JupyterLab does when no extension registered the target.
    """

    def __init__(self, replies=(), delay=0.01, close=False):
        self.replies = list(replies)
        self.delay = delay
        self.close_instead = close
        self.opened: list[dict] = []
        self.closed_by_kernel = False
        self._on_msg = self._on_close = None

    def __call__(self, target_name, data):
        self.opened.append({"target_name": target_name, "data": data})
        return self

    def on_msg(self, callback):
        self._on_msg = callback

    def on_close(self, callback):
        """Registered last by the kernel side: the frontend may answer from now on."""
        self._on_close = callback
        threading.Timer(self.delay, self._answer, args=(self.opened[-1]["data"]["request_id"],)).start()

    def close(self):
        self.closed_by_kernel = True

    def _answer(self, request_id):
        if self.close_instead:
            self._on_close({"content": {"data": {}}})
            return
        for reply in self.replies:
            data = {k: (request_id if v == "{id}" else v) for k, v in reply.items()}
            self._on_msg({"content": {"comm_id": "c", "data": data}})
            time.sleep(0.02)


def test_generated_cells_carry_run_step_kind_and_the_magic_cell_id(result):
    cells = generated_cells(result, "cell-42")
    kinds = [c["metadata"]["iotcoder"]["kind"] for c in cells]
    assert kinds == ["plan", "task-markdown", "task-code", "task-markdown", "task-code", "wiring"]
    assert [c["cell_type"] for c in cells] == ["markdown", "markdown", "code", "markdown", "code", "code"]
    assert {c["metadata"]["iotcoder"]["run_id"] for c in cells} == {result.run_id}
    assert {c["metadata"]["iotcoder"]["magic_cell_id"] for c in cells} == {"cell-42"}
    assert [c["metadata"]["iotcoder"]["step"] for c in cells] == [0, 1, 1, 2, 2, 3]
    assert "def acceleration_magnitude" in cells[2]["source"]


def test_source_fingerprint_is_32_bit_fnv1a_of_the_utf8_bytes():
    assert source_fingerprint("") == "811c9dc5"
    assert source_fingerprint("a") == "e40c292c"
    assert source_fingerprint("foobar") == "bf9cf968"
    assert source_fingerprint("⚠️ m/s²") != source_fingerprint("m/s2")


def test_every_generated_cell_carries_the_fingerprint_of_its_source(result):
    for cell in generated_cells(result, "c"):
        assert cell["metadata"]["iotcoder"]["source_fingerprint"] == source_fingerprint(cell["source"])


def test_insert_message_has_the_documented_shape(result):
    message = insert_request(result, "cell-42", replace=True).message()
    assert set(message) == {"action", "request_id", "magic_cell_id", "replace", "cells"}
    assert message["action"] == "insert" and message["magic_cell_id"] == "cell-42" and message["replace"] is True
    assert len(message["request_id"]) == 32
    nb = nbformat.v4.new_notebook(cells=[nbformat.from_dict(c) for c in message["cells"]])
    nbformat.validate(nb)  # every cell is a valid nbformat v4 cell


def test_two_requests_for_one_result_have_different_request_ids_but_the_same_run_id(result):
    a, b = insert_request(result, "c", False), insert_request(result, "c", False)
    assert a.request_id != b.request_id
    assert a.cells[0]["metadata"]["iotcoder"]["run_id"] == b.cells[0]["metadata"]["iotcoder"]["run_id"]


def test_request_insertion_opens_the_comm_target_and_returns_the_inserted_reply(result):
    fake = FakeFrontend([{"status": "inserted", "request_id": "{id}", "count": 6}])
    reply = request_insertion(insert_request(result, "c", False), timeout=5, comm_factory=fake)
    assert reply["status"] == "inserted" and reply["count"] == 6
    assert fake.opened[0]["target_name"] == COMM_TARGET
    assert fake.closed_by_kernel


def test_request_insertion_ignores_replies_to_other_requests(result):
    fake = FakeFrontend([{"status": "inserted", "request_id": "someone-else", "count": 6}])
    assert request_insertion(insert_request(result, "c", False), timeout=0.5, comm_factory=fake) is None


def test_request_insertion_returns_none_without_waiting_when_the_frontend_closes_the_comm(result):
    started = time.monotonic()
    reply = request_insertion(insert_request(result, "c", False), timeout=10,
                              comm_factory=FakeFrontend(close=True))
    assert reply is None
    assert time.monotonic() - started < 2


def test_request_insertion_gives_up_after_its_timeout_when_nobody_answers(result):
    started = time.monotonic()
    assert request_insertion(insert_request(result, "c", False), timeout=0.3,
                             comm_factory=FakeFrontend([])) is None
    assert 0.25 < time.monotonic() - started < 2


def test_an_inserted_reply_from_a_second_frontend_wins_over_an_error(result):
    fake = FakeFrontend([{"status": "error", "request_id": "{id}", "message": "cell not found"},
                         {"status": "inserted", "request_id": "{id}", "count": 6}])
    reply = request_insertion(insert_request(result, "c", False), timeout=5, comm_factory=fake)
    assert reply["status"] == "inserted"


def test_an_error_reply_alone_is_returned_after_a_short_grace(result):
    fake = FakeFrontend([{"status": "error", "request_id": "{id}", "message": "cell not found"}])
    started = time.monotonic()
    reply = request_insertion(insert_request(result, "c", False), timeout=10, comm_factory=fake)
    assert reply["status"] == "error"
    assert time.monotonic() - started < frontend.ERROR_GRACE_S + 1


def test_fallback_path_is_next_to_the_session_notebook_and_never_an_existing_file(tmp_path, result):
    session = tmp_path / "analysis.ipynb"
    first = fallback_path(result, session_name=str(session))
    assert first == tmp_path / f"analysis-iotcoder-{result.run_id}.ipynb"
    first.write_text("{}")
    second = fallback_path(result, session_name=str(session))
    assert second == tmp_path / f"analysis-iotcoder-{result.run_id}-2.ipynb"


def test_fallback_path_without_a_session_uses_the_working_directory(tmp_path, result):
    assert fallback_path(result, session_name="", cwd=tmp_path).parent == tmp_path


def test_write_fallback_writes_a_valid_notebook_and_leaves_an_existing_file_alone(tmp_path, result):
    session = tmp_path / "analysis.ipynb"
    taken = tmp_path / f"analysis-iotcoder-{result.run_id}.ipynb"
    taken.write_text("user's own file")
    delivery = write_fallback(result, "cell-1", "No extension", session_name=str(session))
    assert delivery.status == "written" and delivery.path != taken
    assert taken.read_text() == "user's own file"
    nb = nbformat.read(delivery.path, as_version=4)
    assert len(nb.cells) == delivery.count == 6
    assert nb.cells[0].metadata.iotcoder.magic_cell_id == "cell-1"
    assert str(delivery.path) in delivery.message


def test_deliver_without_an_answer_writes_the_notebook_and_says_the_extension_is_not_active(tmp_path, result):
    delivery = deliver(result, "cell-1", replace=False, in_kernel=True, timeout=0.2,
                       comm_factory=FakeFrontend([]), session_name=str(tmp_path / "nb.ipynb"))
    assert delivery.status == "written" and delivery.path.exists()
    assert "extension is not active" in delivery.message and str(delivery.path) in delivery.message


def test_deliver_reports_insertion_and_duplicates_without_writing_files(tmp_path, result):
    for status, expected in (("inserted", "Inserted 6 cells"), ("duplicate", "already in the notebook")):
        fake = FakeFrontend([{"status": status, "request_id": "{id}", "count": 6}])
        delivery = deliver(result, "cell-1", replace=False, in_kernel=True, timeout=5, comm_factory=fake,
                           session_name=str(tmp_path / "nb.ipynb"))
        assert delivery.status == status and expected in delivery.message and delivery.path is None
    assert list(tmp_path.iterdir()) == []


def test_deliver_says_how_many_earlier_cells_were_replaced_and_kept(result):
    fake = FakeFrontend([{"status": "inserted", "request_id": "{id}", "count": 6, "removed": 5, "kept": 1}])
    delivery = deliver(result, "cell-1", replace=True, in_kernel=True, timeout=5, comm_factory=fake)
    assert delivery.message.endswith("Replaced 5 cells of the earlier run; kept 1 that you had edited.")


def test_deliver_passes_replace_to_the_frontend(result):
    fake = FakeFrontend([{"status": "inserted", "request_id": "{id}", "count": 6}])
    deliver(result, "cell-1", replace=True, in_kernel=True, timeout=5, comm_factory=fake)
    assert fake.opened[0]["data"]["replace"] is True


def test_deliver_writes_a_file_when_the_frontend_reports_an_error(tmp_path, result):
    fake = FakeFrontend([{"status": "error", "request_id": "{id}", "message": "the cell is gone"}])
    delivery = deliver(result, "cell-1", replace=False, in_kernel=True, timeout=5, comm_factory=fake,
                       session_name=str(tmp_path / "nb.ipynb"))
    assert delivery.status == "written" and "the cell is gone" in delivery.message


def test_deliver_outside_a_kernel_or_without_a_cell_id_writes_a_file(tmp_path, result):
    plain = deliver(result, None, replace=False, in_kernel=False, session_name="", cwd=tmp_path)
    no_id = deliver(result, None, replace=False, in_kernel=True, session_name="", cwd=tmp_path)
    assert plain.status == no_id.status == "written"
    assert "no Jupyter kernel" in plain.message and "did not say which cell" in no_id.message
    assert len(list(tmp_path.glob("iotcoder-*.ipynb"))) == 2

"""How the chat persona reads a message and writes its replies (pure functions, no Jupyter AI needed)."""

from __future__ import annotations

import pytest

from jupyter_iotcoder.chat import (
    classify,
    free_path,
    help_markdown,
    is_insert_request,
    module_markdown,
    notebook_name,
    queue_markdown,
    strip_mentions,
)
from jupyter_iotcoder.config import GenerationConfig
from jupyter_iotcoder.pipeline import generate
from scripted_answers import REQUIREMENT, full_run

from conftest import ScriptedRuntime


@pytest.fixture(scope="module")
def result():
    return generate(REQUIREMENT, ScriptedRuntime(full_run(validated=False)), GenerationConfig(validate=False))


def test_strip_mentions_removes_leading_mentions_only():
    assert strip_mentions("@IoTCoder, count steps with @home sensor") == "count steps with @home sensor"
    assert strip_mentions("  @IoTCoder  ") == ""


@pytest.mark.parametrize("body, note", [
    ("", "The requirement is empty"),
    ("hi there", "does not look like a request for IoT"),
    ("@IoTCoder thanks!", "does not look like a request for IoT"),
])
def test_messages_without_a_requirement_ask_for_one(body, note):
    intent = classify(body, None)
    assert intent.kind == "help" and note in intent.note
    assert "--allow-off-topic" not in help_markdown(intent.note), "a CLI flag means nothing in the chat"


def test_a_requirement_is_generated():
    intent = classify(f"@IoTCoder {REQUIREMENT}", None)
    assert intent.kind == "generate" and intent.text == REQUIREMENT


def test_follow_up_on_the_last_result_is_a_revision(result):
    intent = classify("make step 2 use a Kalman filter", result)
    assert intent.kind == "revise" and intent.revision.task_id == 2


def test_follow_up_without_a_step_it_can_tell_asks_which(result):
    intent = classify("make step 4 use a Kalman filter", result)
    assert intent.kind == "help" and "There is no step 4" in intent.note


def test_insert_only_after_a_result(result):
    assert classify("insert", result).kind == "insert"
    assert classify("Insert the cells into my notebook please", result).kind == "insert"
    assert classify("insert", None).kind == "help"
    assert not is_insert_request("insert a Kalman filter between steps 1 and 2")


def test_help_mentions_follow_ups_only_when_there_is_a_result():
    assert "make step 2 use a Kalman filter" in help_markdown(has_result=True)
    assert "make step 2" not in help_markdown(has_result=False)


def test_queue_message_counts_the_requests_ahead():
    assert "number 2 in the queue: 1 request is ahead" in queue_markdown(1)
    assert "number 4 in the queue: 3 requests are ahead" in queue_markdown(3)


def test_module_markdown_shows_problems_and_the_code(result):
    module = result.modules[0].model_copy(update={"problems": ["it uses the undefined name `x`"]})
    text = module_markdown(module, first=True)
    assert text.startswith("### Code\n\n#### Step 1: `acceleration_magnitude`")
    assert "> **Review this step**: it uses the undefined name `x`" in text
    assert "```python\n\"\"\"Acceleration magnitude" in text


def test_notebook_name_and_free_path_never_reuse_a_taken_name(tmp_path, result):
    name = notebook_name(result)
    assert name == f"iotcoder-count-steps-from-a-wrist-{result.run_id[:6]}.ipynb"
    (tmp_path / name).write_text("keep me")
    (tmp_path / name.replace(".ipynb", "-2.ipynb")).write_text("keep me too")
    assert free_path(tmp_path, name) == tmp_path / name.replace(".ipynb", "-3.ipynb")

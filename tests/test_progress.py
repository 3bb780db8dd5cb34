"""What the %%iotcoder cell shows: the status line and the widget with its Cancel button."""

from __future__ import annotations

import threading

from jupyter_iotcoder.calls import ProgressEvent
from jupyter_iotcoder.progress import ProgressState, TextProgress, WidgetProgress


def test_status_line_names_stage_task_note_speed_and_elapsed():
    state = ProgressState(started=100.0)
    state.update(ProgressEvent("codegen", 2, 3, message="writing code for step 2"))
    state.update(ProgressEvent("codegen", 2, 3, tokens=64, tokens_per_second=21.37, elapsed=3.0))
    assert state.line(now=112.4) == "writing and checking code, task 2 of 3 · writing code for step 2 · 21.4 tok/s · 12 s"
    assert state.step() == "writing and checking code, task 2 of 3"


def test_update_reports_a_change_only_for_a_new_stage_task_or_note():
    state = ProgressState()
    assert state.update(ProgressEvent("transform", 1, 2, message="specifying task 1: target"))
    assert not state.update(ProgressEvent("transform", 1, 2, tokens=8, tokens_per_second=10.0))
    assert state.update(ProgressEvent("transform", 2, 2, message="specifying task 2: target"))
    assert state.update(ProgressEvent("codegen", 1, 2))
    assert state.note == ""  # a new stage drops the old stage's note


def test_decompose_line_has_no_task_number():
    state = ProgressState(started=0.0)
    state.update(ProgressEvent("decompose", message="decomposing the requirement into tasks"))
    assert state.line(now=1.0).startswith("decomposing the requirement · decomposing the requirement into tasks")


def test_text_progress_prints_one_line_per_change():
    lines: list[str] = []
    view = TextProgress(lines.append)
    view.stage("loading", "default model")
    view.event(ProgressEvent("decompose", message="decomposing"))
    view.event(ProgressEvent("decompose", tokens=8, tokens_per_second=12.0))
    view.finish("Inserted 6 cells")
    assert len(lines) == 3
    assert lines[0].startswith("iotcoder: loading the model · default model")
    assert lines[-1] == "iotcoder: Inserted 6 cells"


def test_widget_progress_cancel_button_calls_back_and_disables_itself():
    shown = []
    view = WidgetProgress(shown.append)
    cancel = threading.Event()
    view.on_cancel(cancel.set)
    view.cancel_button.click()
    assert cancel.is_set()
    assert view.cancel_button.disabled
    assert shown == [view.box]


def test_widget_progress_shows_the_stage_then_the_outcome_with_a_link():
    view = WidgetProgress(lambda widget: None)
    view.event(ProgressEvent("codegen", 1, 2, message="validating step 1"))
    assert "task 1 of 2" in view.status.value and "validating step 1" in view.status.value
    view.finish("the JupyterLab extension is not active, so the cells were written to /x/nb-iotcoder-1.ipynb",
                link="nb-iotcoder-1.ipynb")
    assert view.cancel_button.layout.display == "none"
    html = view.result.outputs[0]["data"]["text/html"]
    assert "href='nb-iotcoder-1.ipynb'" in html and "written to /x/nb-iotcoder-1.ipynb" in html


def test_widget_progress_failure_shows_the_message_escaped():
    view = WidgetProgress(lambda widget: None)
    view.fail("Model <tiny> not found: run `iotcoder models fetch`")
    html = view.result.outputs[0]["data"]["text/html"]
    assert "Model &lt;tiny&gt; not found: run `iotcoder models fetch`" in html
    assert "data-state='failed'" in view.status.value

"""The sandbox runs generated code in a limited child process; one test per hostile behaviour."""

import socket
import threading

from jupyter_iotcoder.sandbox import run_cells

ADD = "def add(a, b):\n    return a + b\n"
CHECK_ADD = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


def test_a_right_candidate_passes():
    result = run_cells([ADD], test_code=CHECK_ADD, entry_point="add")
    assert result.passed and result.cells_ok == 1


def test_a_wrong_candidate_fails_with_the_assertion():
    result = run_cells(["def add(a, b):\n    return a - b\n"], test_code=CHECK_ADD, entry_point="add")
    assert result.status == "failed" and "AssertionError" in result.reason


def test_a_missing_entry_point_is_an_error():
    result = run_cells(["x = 1\n"], test_code=CHECK_ADD, entry_point="add")
    assert result.status == "error" and "does not define `add`" in result.reason


def test_an_entry_point_lost_to_a_syntax_error_says_so():
    result = run_cells(["def add(a, b):\n    if a in [0, 1):\n        return b\n"], test_code=CHECK_ADD,
                       entry_point="add")
    assert "does not define `add`" in result.reason and "SyntaxError" in result.reason


def test_an_error_raised_inside_a_library_names_the_library_file():
    result = run_cells(["from scipy.signal import butter\nbutter(4, 2.0)\n", "raise ValueError('mine')\n"])
    assert "[raised in scipy/signal/" in result.cells[0].error
    assert "raised in" not in result.cells[1].error


def test_an_error_from_an_operation_is_told_from_a_raise_statement():
    cells = ["import numpy as np\nsum_ = np.ones(3) + np.ones(2)\n", "if True:\n    raise ValueError('too short')\n"]
    result = run_cells(cells)
    assert result.cells[0].error.endswith("(line 2) [from an operation, not a raise]")
    assert result.cells[1].error == "ValueError: too short (line 2)"


def test_cells_run_in_order_and_a_failing_cell_is_recorded():
    cells = ["import math\nvalue = 2\n", "raise RuntimeError('step 2 broke')\n", "print(value * 21)\n"]
    result = run_cells(cells)
    assert [c.ok for c in result.cells] == [True, False, True]
    assert "step 2 broke" in result.cells[1].error and result.cells[2].stdout.strip() == "42"
    assert result.reason.startswith("cell 2")


def test_an_infinite_loop_is_killed_at_the_timeout():
    result = run_cells(["while True:\n    pass\n"], timeout=2)
    assert result.status == "timeout" and result.seconds <= 3


def test_memory_above_the_limit_is_refused():
    result = run_cells(["block = bytearray(3 * 1024 ** 3)\n"], memory_mb=512)
    assert not result.cells_ok and "MemoryError" in result.reason


def test_writing_outside_the_working_directory_is_refused(tmp_path):
    target = tmp_path / "escaped.txt"
    result = run_cells([f"open({str(target)!r}, 'w').write('x')\n"])
    assert "PermissionError" in result.reason
    assert not target.exists()


def test_writing_inside_the_working_directory_is_allowed():
    result = run_cells(["open('scratch.txt', 'w').write('ok')\nprint(open('scratch.txt').read())\n"])
    assert result.cells[0].ok and result.cells[0].stdout.strip() == "ok"


def test_no_network_connection_can_be_opened():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    server.settimeout(3)
    thread.start()
    code = f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
    result = run_cells([code])
    thread.join(timeout=4)
    server.close()
    assert not result.cells_ok and not accepted


def test_spawning_processes_is_refused():
    result = run_cells(["import subprocess\nsubprocess.run(['true'])\n"])
    assert "PermissionError" in result.reason


def test_a_hard_crash_is_reported_not_raised():
    result = run_cells(["import os, signal\nos.abort()\n"])
    assert result.status == "error" and "died" in result.reason



def test_peak_rss_is_the_programs_own_not_the_large_parents():
    ballast = bytearray(600 * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = run_cells(["x = 1"], timeout=30)
    big = run_cells(["import numpy as np\nx = np.ones(300 * 1024 * 1024 // 8)"], timeout=30)
    assert small.peak_rss_mb < 200 < big.peak_rss_mb < 600
    del ballast


def test_a_call_with_an_argument_the_library_function_does_not_take_shows_its_real_signature():
    code = ("from scipy.cluster.vq import kmeans\nimport numpy as np\n\n"
            "def cluster(w):\n    return kmeans(np.asarray(w, float), 4, maxiter=20)\n\ncluster([1.0, 2.0, 3.0, 4.0])\n")
    result = run_cells([code])
    assert "unexpected keyword argument 'maxiter'" in result.reason
    assert "`kmeans` takes (obs, k_or_guess, iter=20" in result.reason


def test_a_class_called_with_an_argument_it_does_not_take_shows_its_constructor():
    code = "from sklearn.preprocessing import StandardScaler\n\nStandardScaler(ddof=0)\n"
    assert "`StandardScaler` takes (*, copy=True, with_mean=True, with_std=True)" in run_cells([code]).reason

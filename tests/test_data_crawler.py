"""The documentation crawler on a small package written for the test."""

import sys
import textwrap

import pytest

from jupyter_iotcoder.data.codepairs import crawled_candidates
from jupyter_iotcoder.data.crawler import crawl, crawl_module, doctest_script
from jupyter_iotcoder.data.execution import run_jobs

PACKAGE = '''
"""A tiny sensor helper package."""

__all__ = ["scale_readings", "Smoother", "undocumented", "old_thing"]


def scale_readings(values, gain=2.0):
    """
    Multiply sensor readings by a gain.

    Parameters
    ----------
    values : list of float
        Raw readings.
    gain : float, optional
        Multiplier.

    Returns
    -------
    scaled : list of float
        The scaled readings.

    Examples
    --------
    Scale three readings:

    >>> scale_readings([1.0, 2.0], gain=3.0)
    [3.0, 6.0]
    >>> import matplotlib.pyplot as plt
    >>> plt.plot([1, 2])  # doctest: +SKIP
    """
    return [v * gain for v in values]


class Smoother:
    """
    Keep a running mean.

    Examples
    --------
    >>> s = Smoother()
    """


def undocumented(x):
    return x


def old_thing(x):
    """
    .. deprecated:: 1.0
        Use something else.

    Do an old thing.
    """
    return x
'''


@pytest.fixture()
def tiny_package(tmp_path, monkeypatch):
    (tmp_path / "tinysensors.py").write_text(textwrap.dedent(PACKAGE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "tinysensors"
    sys.modules.pop("tinysensors", None)


def test_crawler_reads_signature_sections_and_skips_undocumented_and_deprecated(tiny_package):
    docs = {d.name: d for d in crawl_module(tiny_package)}
    assert set(docs) == {"scale_readings", "Smoother"}
    scale = docs["scale_readings"]
    assert scale.kind == "function" and scale.signature == "(values, gain=2.0)"
    assert scale.summary == "Multiply sensor readings by a gain."
    assert [(p.name, p.type) for p in scale.parameters] == [("values", "list of float"), ("gain", "float, optional")]
    assert scale.returns[0].name == "scaled"
    assert docs["Smoother"].kind == "class"


def test_doctest_becomes_a_script_that_prints_outputs_and_drops_plotting(tiny_package):
    scale = {d.name: d for d in crawl_module(tiny_package)}["scale_readings"]
    assert "print(scale_readings([1.0, 2.0], gain=3.0))" in scale.example_script
    assert "plt" not in scale.example_script and "matplotlib" not in scale.example_script
    assert scale.example_comments == ("Scale three readings:",)


def test_doctest_script_keeps_statements_as_they_are():
    script, _ = doctest_script(">>> x = 1 + 1\n>>> x\n2\n")
    assert script == "x = 1 + 1\nprint(x)\n"


def test_three_instruction_types_are_built_from_the_small_package(tiny_package):
    docs = [d for d in crawl_module(tiny_package) if d.name == "scale_readings"]
    candidates = crawled_candidates(docs[0])
    kinds = {c.meta["instruction"] for c in candidates}
    assert kinds == {"module description", "module implementation", "example implementation"}
    wrapper = next(c for c in candidates if c.meta["instruction"] == "example implementation")
    assert "**Target**" in wrapper.messages[-1]["content"]
    assert "def apply_scale_readings(values, gain=2.0, **options)" in wrapper.jobs[0].code
    assert "print(apply_scale_readings([1.0, 2.0], gain=3.0))" in wrapper.jobs[0].code
    description = next(c for c in candidates if c.meta["instruction"] == "module description")
    assert "from tinysensors import scale_readings" in description.answer
    assert "Parameters\n----------\nvalues : list of float" in description.answer


def test_crawl_of_an_installed_package_records_version_and_licence():
    docs = crawl({"scipy.signal": ["butter", "not_a_function_name"]})
    assert [d.name for d in docs] == ["butter"]
    assert docs[0].distribution == "scipy" and docs[0].version != "unknown" and docs[0].license != "unknown"
    candidates = crawled_candidates(docs[0])
    results = run_jobs([job for c in candidates for job in c.jobs])
    assert candidates and all(any(results[j.key].ok for j in c.jobs) for c in candidates)

"""The listening analysis in the run's report.html (issue 31): `listening` records each test's results
in the run it was built from (RUN/listening-results/TEST.json) and re-renders report.html with a
section "Listening tests": listeners kept and excluded, each method's mean with its interval, the metric
agreement, a relative link to the test's listening.md. A second test adds a second entry; `summarize`
keeps the section; a missing or unwritable run folder does not fail the analysis."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from evals.cli import main
from evals.run_folder import listening_dir, listening_file
from tests.listening_helpers import make_run, ratings

NOT_UPDATED = "note: the run's report was not updated: "


def _layout(test_dir: Path) -> dict:
    return json.loads((test_dir / "test.json").read_text())


def _collect(test_dir: Path, folder: Path, listeners: dict[str, float]) -> Path:
    """A folder of ratings files of the test in `test_dir`: {listener: shift of every score}."""
    folder.mkdir()
    layout = _layout(test_dir)
    for n, (name, shift) in enumerate(listeners.items()):
        (folder / f"r{n}.json").write_text(json.dumps(ratings(layout, name, shift)))
    return folder


def _listen(run: Path, out: Path, *methods: str) -> str:
    argv = ["listen", str(run), "-o", str(out)] + [a for m in methods for a in ("-m", m)]
    assert main(argv) == 0
    return _layout(out)["test_id"]


def _row(page: str, *cells: str) -> bool:
    """Whether `page` has a table row starting with `cells` (a cell "*" matches any text)."""
    pattern = "".join("<td>[^<]*</td>" if c == "*" else f"<td>{re.escape(c)}</td>" for c in cells)
    return re.search("<tr>" + pattern, page) is not None


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A run with its report.html (rendered as `summarize` does)."""
    from evals.running.summarize import summarize

    run = make_run(tmp_path_factory.mktemp("listening-report"))
    summarize(run, report=True)
    assert (run / "report.html").is_file()
    return run


@pytest.fixture(scope="module")
def first(run) -> tuple[str, Path, str]:
    """Test A (both methods) analysed: three listeners, one of them excluded (hidden reference at 80)."""
    test_dir = run.parent / "test-a"
    test_id = _listen(run, test_dir)
    results = _collect(test_dir, run.parent / "ratings-a", {"ann": 0, "bob": -5, "<i>cat</i>": -20})
    code = main(["listening", str(test_dir), str(results)])
    assert code == 0
    return test_id, test_dir, results


def test_the_analysis_adds_a_listening_section_to_the_runs_report(run, first, capsys):
    test_id, test_dir, _ = first
    record = json.loads(listening_file(run, test_id).read_text())
    assert record["test_id"] == test_id and record["kept"] == ["ann", "bob"]
    assert [e["listener"] for e in record["excluded"]] == ["<i>cat</i>"]
    page = (run / "report.html").read_text()
    assert "<h2>Listening tests</h2>" in page and f"<h3>Test {test_id}</h3>" in page
    assert "3 listener(s) rated 2 clip(s) of 2 method(s); 2 kept, 1 excluded" in page
    assert "&lt;i&gt;cat&lt;/i&gt;" in page and "<i>cat</i>" not in page  # escaped, not markup
    # ann rates griffinlim 40 and griffinlim-64it 60 everywhere, bob 5 lower: means 37.5 and 57.5
    assert _row(page, "griffinlim", "2", "2", "37.5", "[35.0, 40.0]")
    assert _row(page, "griffinlim-64it", "2", "2", "57.5", "[55.0, 60.0]")
    assert _row(page, "hidden reference", "2", "2", "97.5", "*")
    assert "Pearson r" in page and "Spearman rho" in page
    assert record["agreement"], "the run recorded headline metrics: each gets a row"
    for a in record["agreement"]:
        assert a["n"] == 4  # 2 clips x 2 methods, pooled
        assert _row(page, a["metric"], "4", f"{a['pearson']:.2f}", "*", f"{a['spearman']:.2f}", "*")
    href = "../test-a/listening.md"
    assert f'href="{href}"' in page and (run / href).resolve() == (test_dir / "listening.md").resolve()
    assert "not found" not in page


def test_a_second_test_adds_an_entry_and_force_replaces_only_its_own(run, first, capsys):
    from evals.running.summarize import summarize

    first_id, first_dir, first_results = first
    second_dir = run.parent / "test-b"
    second_id = _listen(run, second_dir, "griffinlim")
    assert second_id != first_id
    results = _collect(second_dir, run.parent / "ratings-b", {"dan": 0, "eve": 3})
    capsys.readouterr()
    assert main(["listening", str(second_dir), str(results)]) == 0
    assert f"updated {run / 'report.html'}" in capsys.readouterr().out
    assert sorted(p.name for p in listening_dir(run).iterdir()) == sorted(
        [f"{first_id}.json", f"{second_id}.json"]
    )
    page = (run / "report.html").read_text()
    assert f"<h3>Test {first_id}</h3>" in page and f"<h3>Test {second_id}</h3>" in page
    assert "2 listener(s) rated 2 clip(s) of 1 method(s); 2 kept, 0 excluded" in page
    # a copy of test A analysed again leaves the run's results of A alone without --force ...
    copy = run.parent / "test-a-copy"
    shutil.copytree(first_dir, copy, ignore=shutil.ignore_patterns("listening*"))
    before = listening_file(run, first_id).read_text()
    assert main(["listening", str(copy), str(first_results)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note: ")]
    assert len(lines) == 1 and lines[0].startswith(NOT_UPDATED) and "--force" in lines[0], lines
    assert listening_file(run, first_id).read_text() == before
    # ... and replaces them with it (ann alone is too few: two of the three listeners)
    only_two = _collect(copy, run.parent / "ratings-a2", {"ann": 0, "bob": -5})
    assert main(["listening", str(copy), str(only_two), "--force"]) == 0
    assert json.loads(listening_file(run, first_id).read_text())["excluded"] == []
    assert len(list(listening_dir(run).iterdir())) == 2
    assert 'href="../test-a-copy/listening.md"' in (run / "report.html").read_text()
    # summarize rebuilds the page with both tests
    summarize(run, report=True)
    page = (run / "report.html").read_text()
    assert f"<h3>Test {first_id}</h3>" in page and f"<h3>Test {second_id}</h3>" in page


@pytest.mark.parametrize("how", ["blocked", "read-only", "gone", "no-report"])
def test_a_missing_or_unwritable_run_does_not_fail_the_analysis(run, tmp_path, capsys, how):
    copy = tmp_path / "run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns(listening_dir(run).name))
    test_dir = tmp_path / "test"
    test_id = _listen(copy, test_dir, "griffinlim")
    results = _collect(test_dir, tmp_path / "ratings", {"ann": 0, "bob": -5})
    report = (copy / "report.html").read_bytes()
    if how == "blocked":  # RUN/listening-results/ cannot be made
        listening_dir(copy).write_text("not a folder")
    elif how == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder")
        copy.chmod(0o555)
    elif how == "gone":
        shutil.rmtree(copy)
    else:
        (copy / "report.html").unlink()
    capsys.readouterr()
    try:
        assert main(["listening", str(test_dir), str(results)]) == 0
    finally:
        if copy.exists():
            copy.chmod(0o755)
    out = capsys.readouterr().out
    assert (test_dir / "listening.md").is_file() and (test_dir / "listening.json").is_file()
    if how == "no-report":  # the results are recorded, there is no page to update
        assert listening_file(copy, test_id).is_file() and not (copy / "report.html").exists()
        assert "the run has no report.html to update" in out and NOT_UPDATED not in out
        return
    lines = [line for line in out.splitlines() if line.startswith(NOT_UPDATED)]
    assert len(lines) == 1, out
    assert ("is gone" if how == "gone" else "Error") in lines[0], lines[0]
    if how != "gone":
        assert (copy / "report.html").read_bytes() == report
        assert not listening_file(copy, test_id).exists()


def test_listen_refuses_a_test_folder_that_a_rerun_of_the_run_would_remove(run, capsys):
    inside = listening_dir(run) / "my-test"
    assert main(["listen", str(run), "-o", str(inside)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and listening_dir(run).name in err and "--force" in err, err
    assert not inside.exists()


def test_a_damaged_record_shows_as_one_line_and_the_page_still_renders(run, tmp_path):
    from evals.reports.html import run_report
    from evals.reports.listening_section import sections

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (listening_dir(copy)).mkdir(exist_ok=True)
    (listening_dir(copy) / "0000000000000000.json").write_text("{cut short")
    found = sections(copy)
    damaged = [s for s in found if s["title"] == "0000000000000000.json"]
    assert len(damaged) == 1 and damaged[0]["href"] is None
    assert "cannot be read" in damaged[0]["blocks"][0].markdown()
    page = run_report(copy, json.loads((copy / "summary.json").read_text())).read_text()
    assert "0000000000000000.json cannot be read" in html.unescape(page)

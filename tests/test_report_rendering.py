"""The table model and the HTML templates: one table renders alike to Markdown and HTML, the headline
metrics come from the registry, and hostile names (clip ids, reasons, folders) reach a page escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.reports.blocks import Bullets, Heading, markdown
from evals.reports.pages import render
from evals.reports.table import Table, bold, code, fail, note, text

HOSTILE = "<b onmouseover=alert(1)>\"x\"&'y'"


def test_a_table_renders_to_markdown_with_its_title_and_escaped_pipes():
    table = Table(
        ("method", "value"), [["a|b", text("1.5 ", note("(3/3)"))], ["c", fail("FAIL")]], title="Values:"
    )
    assert table.markdown() == (
        "Values:\n\n| method | value |\n|---|---|\n| a\\|b | 1.5 (3/3) |\n| c | FAIL |\n"
    )
    with pytest.raises(ValueError, match="a row of 1 cells"):
        Table(("a", "b"), [["only one"]])


def test_styles_render_as_markdown_and_as_escaped_html():
    blocks = [
        Heading(2, text("Title <1>")),
        text(bold("Verdict: ok."), " see ", code("a<b")),
        Bullets(("one & two",)),
        Table(("x",), [[fail("FAIL")], [HOSTILE]]),
    ]
    assert markdown(blocks) == (
        "## Title <1>\n\n**Verdict: ok.** see `a<b`\n\n- one & two\n\n| x |\n|---|\n"
        "| FAIL |\n| <b onmouseover=alert(1)>\"x\"&'y' |\n"
    )
    html = _fragment(blocks)
    assert "<h2>Title &lt;1&gt;</h2>" in html and "<p><b>Verdict: ok.</b> see <code>a&lt;b</code></p>" in html
    assert "<li>one &amp; two</li>" in html and "<td><span class=fail>FAIL</span></td>" in html
    assert "<b onmouseover" not in html
    assert "&lt;b onmouseover=alert(1)&gt;&#34;x&#34;&amp;&#39;y&#39;" in html


def _fragment(blocks) -> str:
    import jinja2

    from evals.reports.pages import TEMPLATES

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    template = env.from_string('{% from "blocks.html.j2" import blocks %}{{ blocks(items) }}')
    return template.render(items=blocks)


def test_the_headline_metrics_are_the_registry_s_in_its_order():
    from evals.metrics import all_metrics, headline_metrics

    names = headline_metrics()
    metrics = all_metrics()
    assert names == sorted((n for n, m in metrics.items() if m.headline), key=lambda n: metrics[n].headline)
    # the scorecard's columns as README.md shows them come first, in that order
    assert [all_metrics()[n].column for n in names[:7]] == [
        "PESQ-WB",
        "STOI",
        "ViSQOL",
        "DNSMOS",
        "log-mel L1",
        "MR-STFT",
        "energy > 4 kHz",
    ]


def _summary(clip_id: str) -> dict:
    from evals.metrics import all_metrics

    metrics = {
        n: {
            "n_ok": 1,
            "n_skipped": 0,
            "n_error": 0,
            "mean": 0.5,
            "unit": m.unit,
            "higher_is_better": m.higher_is_better,
            "headline": bool(m.headline),
        }
        for n, m in all_metrics().items()
    }
    return {
        "created": "2026-01-01T00:00:00+00:00",
        "environment": {"device": "cpu"},
        "clips": [{"id": clip_id, "path": f"{clip_id}.wav", "seconds": 1.0}],
        "methods": {
            "griffinlim": {
                "status": "ran",
                "metrics": metrics,
                "timing": {"x_real_time": 3.0},
                "bitrate": None,
            },
            "vae+hifigan": {"status": "skipped", "reason": HOSTILE},
        },
        "baselines": [],
    }


def test_hostile_names_are_escaped_in_the_run_and_compare_pages(tmp_path):
    from evals.reports.html import ComparedRun, ComparePage, compare_report, run_report
    from evals.reports.readable import run_verdict_lines

    run_dir = tmp_path / HOSTILE
    summary = _summary(HOSTILE)
    (run_dir / "audio" / "reference").mkdir(parents=True)
    (run_dir / "audio" / "reference" / f"{HOSTILE}.wav").write_bytes(b"")
    page = run_report(run_dir, summary).read_text()
    assert "<b onmouseover" not in page and page.count("&lt;b onmouseover=alert(1)&gt;") >= 2  # h3, reason
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "audio/reference/%3Cb%20onmouseover%3Dalert%281%29%3E%22x%22%26%27y%27.wav" in links
    assert "<p><b>1 method(s) ran on 1 clips" in page
    assert run_verdict_lines(summary)[0].markdown().startswith("**1 method(s) ran")
    page_inputs = ComparePage(
        ComparedRun(run_dir, summary), ComparedRun(run_dir, summary), [Table(("a",), [[HOSTILE]])], 0
    )
    out = compare_report(tmp_path / "cmp.html", page_inputs).read_text()
    assert "<b onmouseover" not in out and "<h1>Comparison: A = " in out and out.count("<audio") == 1


def test_the_history_page_escapes_its_folder(tmp_path):
    page = render(
        "history.html.j2",
        title="Quality history",
        n_entries=2,
        folder=str(tmp_path / HOSTILE),
        newest="0002",
        against="0001",
        drift=[text("nothing moved")],
    )
    assert "<b onmouseover" not in page and "<img src=trend.png" in page and "<p>nothing moved</p>" in page


def test_templates_ship_as_package_data():
    from evals.reports.pages import TEMPLATES

    tomllib = pytest.importorskip("tomllib")
    shipped = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    patterns = shipped["tool"]["setuptools"]["package-data"]["evals.reports"]
    assert all(any(p.match(pattern) for pattern in patterns) for p in TEMPLATES.iterdir())

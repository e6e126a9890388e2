"""Static HTML pages of runs: open the file, no server, no network.

Every link is relative to the page (figures and audio sit in the run folder), and the page has no
script, no web font and no remote asset, so it works offline and from any copy of the folder.

- `run_report`: OUTDIR/report.html (the scorecard writes OUTDIR/scorecard.html with its table first):
  the results table, the metrics chart, the rate-quality chart, and per clip the original and
  each method's reconstruction side by side, each with its player and figure.
- `compare_report`: two runs side by side (`python -m evals compare A B --html OUT.html`).
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from urllib.parse import quote

from evals.aggregate import readable
from evals.reports.figures import metrics_chart, rate_quality_chart
from evals.reports.markdown import CONSOLE_METRICS
from evals.run_folder import method_folder, write_atomic

STYLE = """body{font-family:sans-serif;margin:1.5em;max-width:1500px}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;vertical-align:middle}th{background:#eee}
img{max-width:100%}audio{width:260px}.fail{color:#b00;font-weight:bold}.note{color:#555}"""


def _href(target: Path, page_dir: Path) -> str:
    return quote(os.path.relpath(target, page_dir).replace(os.sep, "/"))


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return "<table><tr>" + head + "</tr>" + "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows) + "</table>"


def results_html(summary: dict) -> str:
    """Methods x headline metrics (mean, n_ok/n), x real time and kbit/s."""
    rows = []
    for method, info in summary["methods"].items():
        if info.get("status") != "ran":
            continue
        cells = []
        for name in CONSOLE_METRICS:
            agg = info["metrics"][name]
            total = agg["n_ok"] + agg["n_skipped"] + agg["n_error"]
            cells.append(f"{escape(readable(agg['mean'], agg.get('unit', '')))} <span class=note>({agg['n_ok']}/{total})</span>")
        rate = info.get("bitrate")
        rows.append([escape(method), *cells, escape(readable(info.get("timing", {}).get("x_real_time"))),
                     f"{rate['kbps']:.2f}" if rate else ""])
    skipped = [f"<li>{escape(m)}: {escape(i.get('reason', ''))}</li>" for m, i in summary["methods"].items()
               if i.get("status") != "ran"]
    return (_table(["method", *CONSOLE_METRICS, "x real time", "kbit/s"], rows)
            + (f"<p>Skipped:</p><ul>{''.join(skipped)}</ul>" if skipped else ""))


def _audio(path: Path, page_dir: Path) -> str:
    if not path.is_file():
        return "<span class=note>no audio (run with audio saving on)</span>"
    return f'<audio controls preload="metadata" src="{_href(path, page_dir)}"></audio>'


def _image(path: Path, page_dir: Path, alt: str) -> str:
    return f'<img src="{_href(path, page_dir)}" alt="{escape(alt)}">' if path.is_file() else ""


def _clip_sections(run_dir: Path, summary: dict, page_dir: Path, label: str = "") -> dict[str, list[str]]:
    """clip id -> table rows (original, then each method that ran): name, player, figure."""
    ran = [m for m, i in summary["methods"].items() if i.get("status") == "ran"]
    out = {}
    for clip in summary["clips"]:
        cid = clip["id"]
        rows = [[f"{escape(label)}original", _audio(run_dir / "audio" / "reference" / f"{cid}.wav", page_dir), ""]]
        for m in ran:
            folder = method_folder(m)
            rows.append([f"{escape(label)}{escape(m)}", _audio(run_dir / "audio" / folder / f"{cid}.wav", page_dir),
                         _image(run_dir / "figures" / folder / f"{cid}.png", page_dir, f"{m} on {cid}")])
        out[cid] = rows
    return out


def run_report(run_dir: Path, summary: dict, *, page: str = "report.html", title: str | None = None,
               preface: str = "") -> Path:
    """Writes `run_dir/page` (and the run's charts under `run_dir/figures/`); returns its path."""
    run_dir = Path(run_dir)
    (run_dir / "figures").mkdir(exist_ok=True)
    charts = [metrics_chart(run_dir / "figures" / "metrics.png", summary),
              rate_quality_chart(run_dir / "figures" / "rate_quality.png", summary)]
    title = title or f"Evaluation run {summary['created']}"
    env = summary["environment"]
    from evals.reports.readable import run_verdict_lines

    opening = preface or (_paragraphs(run_verdict_lines(summary)) + "<h2>Headline metrics</h2>"
                          + headline_html(summary["methods"]))
    body = [f"<h1>{escape(title)}</h1>", opening,
            f"<p>Device {escape(str(env.get('device')))}; {len(summary['clips'])} clips, "
            f"{sum(c['seconds'] for c in summary['clips']):.1f} s of audio. Cells: mean over ok clips "
            f"(n_ok/n); skipped and failed values are counted, never averaged. All values: "
            f"<a href=\"clips.jsonl\">clips.jsonl</a>, <a href=\"summary.json\">summary.json</a>.</p>",
            "<h2>Every headline metric, with counts</h2>", results_html(summary),
            *[_image(c, run_dir, c.stem) for c in charts if c is not None],
            "<h2>Clips</h2>"]
    for cid, rows in _clip_sections(run_dir, summary, run_dir).items():
        body += [f"<h3>{escape(cid)}</h3>", _table(["", "listen", "log-mel: original, reconstructed, difference; "
                                                   "band retention"], rows)]
    path = run_dir / page
    write_atomic(path, _page(title, body))
    return path


def _paragraphs(lines: list[str]) -> str:
    """Markdown-ish lines (with **bold** and `code`) as HTML paragraphs."""
    import re

    out = []
    for line in lines:
        text = escape(line)
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
        out.append(f"<p>{text}</p>")
    return "".join(out)


def headline_html(methods: dict, extra=None, extra_header: list[str] | None = None) -> str:
    """The grouped headline table (`evals.reports.readable.headline_rows`) with its legend."""
    from evals.reports.readable import LEGEND, headline_rows

    header, rows = headline_rows(methods, extra)
    return (f"<p class=note>{escape(LEGEND)}</p>"
            + _table([*header, *(extra_header or [])], [[escape(c) if "<" not in c else c for c in r] for r in rows]))


def scorecard_preface(card: dict, gates) -> str:
    """The verdict first, what fell short, the grouped headline table, the reports' figures."""
    from evals.reports.readable import figures_rows, readable, verdict_lines

    failed = [g for g in gates if not g.passed]
    short = ("<h2>What fell short</h2>" + _table(["method", "class", "metric", "ours (mean)", "bound", "short by"], [
        [escape(g.method), escape(g.clip_class), escape(g.metric), escape(readable(g.value)),
         escape(("&gt;= " if g.kind == "floor" else "&lt;= ") + readable(g.bound)).replace("&amp;", "&"),
         escape(readable(g.shortfall))] for g in failed])) if failed else ""

    def extra(name, _info):
        row = card["methods"][name]
        ok = row["gates_passed"] == row["gates_total"]
        gate = (f"{'pass' if ok else '<span class=fail>FAIL</span>'} {row['gates_passed']}/{row['gates_total']}"
                if row["gates_total"] else "no gates")
        return [gate, escape(readable(row["x_real_time"])), f"{row['kbps']:.2f}" if row.get("kbps") else ""]

    methods = {n: {"status": r["status"], "metrics": {m: {"mean": v} for m, v in r.get("means", {}).items()}}
               for n, r in card["methods"].items()}
    figures, _ = figures_rows(card["baselines"])
    return (_paragraphs(verdict_lines(card, gates)) + short
            + "<h2>Headline metrics</h2>" + headline_html(methods, extra, ["gates", "x real time", "kbit/s"])
            + ("<h2>The reports' figures beside ours</h2>" + _table(
                ["report", "method", "metric", "theirs", "ours", "ours - theirs"],
                [[escape(c) for c in r] for r in figures]) if figures else ""))


def compare_report(out: Path, a_dir: Path, b_dir: Path, a: dict, b: dict, table: str, regressions: int,
                   first: list[str] | None = None) -> Path:
    """Writes one page with two runs side by side: the comparison (`table`, an HTML fragment), then per
    clip both runs' players and figures, the clips in `first` (those that changed most) at the top
    (links relative to `out`, so keep the three together or move them alike)."""
    out = Path(out)
    page_dir = out.parent.resolve()
    body = [f"<h1>Comparison: A = {escape(str(a_dir))}, B = {escape(str(b_dir))}</h1>",
            f"<p>{regressions} regression(s).</p>", table, "<h2>Clips (those that changed most first)</h2>"]
    a_clips = _clip_sections(Path(a_dir).resolve(), a, page_dir, "A: ")
    b_clips = _clip_sections(Path(b_dir).resolve(), b, page_dir, "B: ")
    order = list(dict.fromkeys([c for c in (first or []) if c in a_clips] + list(a_clips)))
    for cid in order:
        if cid in b_clips:
            body += [f"<h3>{escape(cid)}</h3>", _table(["", "listen", "figure"], a_clips[cid] + b_clips[cid][1:])]
    write_atomic(out, _page("Comparison", body))
    return out

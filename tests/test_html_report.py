"""The static HTML report: self-contained links, and a real headless browser that plays and shows it.

The browser test drives the system Chromium (Debian's `chromium`) through playwright; where either
is missing it skips and says how to install them (CI installs both, see `.ci/run`).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.helpers import GOLDEN, playwright_chromium

CLIPS = [GOLDEN / "clips" / "speech_male_arctic_a0007.flac", GOLDEN / "clips" / "music_drums_amen.flac"]
METHODS = ["griffinlim", "vae+griffinlim:quant=int8"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    from evals.running.config import RunConfig
    from evals.running.runner import run

    out = tmp_path_factory.mktemp("report") / "run"
    run(
        RunConfig(
            outdir=out,
            inputs=[str(c) for c in CLIPS],
            methods=METHODS,
            weights=str(GOLDEN / "reference"),
            progress=False,
            jobs=1,
            report=True,
        )
    )
    return out


def local_links(page: Path) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page.read_text())


def test_the_page_links_only_files_in_the_run_folder(run_dir):
    page = run_dir / "report.html"
    links = local_links(page)
    assert links and not [u for u in links if "://" in u or u.startswith("/")], "remote or absolute link"
    missing = [u for u in links if not (run_dir / unquote(u)).is_file()]
    assert not missing
    text = page.read_text()
    assert text.count("<audio") == len(CLIPS) * (1 + len(METHODS))
    assert (
        text.count('<img src="figures/') == len(CLIPS) * len(METHODS) + 2
    )  # + metrics and rate-quality charts
    assert "<script" not in text


def test_compare_writes_both_runs_side_by_side(run_dir, tmp_path, capsys):
    from evals.cli import main

    out = tmp_path / "cmp.html"
    assert main(["compare", str(run_dir), str(run_dir), "--html", str(out)]) == 0
    links = local_links(out)
    assert links and all((out.parent / unquote(u)).is_file() for u in links)
    assert out.read_text().count("<audio") == 2 * len(CLIPS) * (1 + len(METHODS)) - len(CLIPS)
    assert (
        main(["compare", str(run_dir), str(run_dir), "--html", str(out)]) == 2
    )  # no overwrite without --force
    assert "exists" in capsys.readouterr().err


def test_a_headless_browser_loads_plays_and_shows_everything(run_dir, tmp_path):
    sync_playwright, chromium = playwright_chromium()
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((run_dir / "report.html").as_uri())
        page.wait_for_load_state("load")
        audio = page.eval_on_selector_all(
            "audio",
            """els => Promise.all(els.map(a => new Promise(done => {
            if (a.readyState >= 1) return done([a.currentSrc, a.duration, a.error && a.error.code]);
            a.addEventListener('loadedmetadata', () => done([a.currentSrc, a.duration, null]), {once: true});
            a.addEventListener('error', () => done([a.currentSrc, 0, a.error && a.error.code]), {once: true});
            a.load();
        })))""",
        )
        images = page.eval_on_selector_all("img", "els => els.map(i => [i.src, i.complete, i.naturalWidth])")
        played = page.evaluate(
            """() => document.querySelector('audio').play().then(() => 'ok', e => String(e))"""
        )
        opening = page.eval_on_selector("h1 + p", "p => [p.innerText, p.getBoundingClientRect().top]")
        first_table = page.eval_on_selector("table", "t => [t.innerText, t.getBoundingClientRect().bottom]")
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert not errors, errors
    assert len(audio) == len(CLIPS) * (1 + len(METHODS))
    assert all(duration and duration > 0 and not code for _, duration, code in audio), audio
    assert images and all(complete and width > 0 for _, complete, width in images), images
    assert played == "ok"
    assert shot.stat().st_size > 10_000
    # read at a glance: what ran comes first, and the grouped headline table fits the first screen
    assert "method(s) ran on" in opening[0] and opening[1] < 150, opening
    assert "PESQ-WB" in first_table[0] and "no model" in first_table[0] and first_table[1] < 900, first_table
    assert "e+0" not in first_table[0]
    print(f"screenshot: {shot}")

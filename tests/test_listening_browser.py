"""The listening test in a real browser: the page opened from disk (file://) loads and plays its
audio, takes a rating on every slider of every trial, keeps them over a reload, downloads them as
JSON, and the analysis reads that file.

Drives the system Chromium through playwright, as tests/test_html_report.py does; skips (saying how to
install them) where either is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import playwright_chromium
from tests.listening_helpers import make_run

INTENDED = {
    "hidden_reference": 100,
    "anchor_low": 10,
    "anchor_mid": 80,
    "griffinlim": 35,
    "griffinlim-64it": 60,
}
"""What the simulated listener aims each slider at, by condition."""


@pytest.fixture(scope="module")
def test_dir(tmp_path_factory) -> Path:
    from evals.cli import main

    root = tmp_path_factory.mktemp("listen")
    make_run(root)
    assert main(["listen", str(root / "run"), "-o", str(root / "test")]) == 0
    return root / "test"


def _generator(seed: int):
    """The page's seeded generator (mulberry32), in Python: 32-bit unsigned arithmetic throughout."""
    state = seed & 0xFFFFFFFF

    def imul(x: int, y: int) -> int:
        return (x * y) & 0xFFFFFFFF

    def draw() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(state ^ (state >> 15), state | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return (t ^ (t >> 14)) / 4294967296

    return draw


def _shuffled(items: list, draw) -> list:
    items = list(items)
    for i in range(len(items) - 1, 0, -1):
        j = int(draw() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def _state(page, test_id: str) -> dict:
    return page.evaluate(f"() => JSON.parse(localStorage.getItem('evals-mushra:{test_id}'))")


def _rate_trial(page, layout: dict, test_id: str) -> str:
    """Moves every slider of the trial on screen with the mouse, towards its condition's INTENDED score."""
    trial_id = page.get_attribute("#trial", "data-trial")
    page.wait_for_function(f"() => document.body.dataset.ready === '{trial_id}'")
    trials = {t["id"]: t for t in [layout["training"], *layout["trials"]]}
    condition = {s["key"]: s["condition"] for s in trials[trial_id]["signals"]}
    order = _state(page, test_id)["signal_order"][trial_id]
    sliders = page.locator("input.rating")
    assert sliders.count() == len(order)
    for i, key in enumerate(order):
        box = sliders.nth(i).bounding_box()
        target = INTENDED[condition[key]]
        sliders.nth(i).click(position={"x": 8 + (box["width"] - 16) * target / 100, "y": box["height"] / 2})
    return trial_id


def test_a_listener_rates_every_trial_reloads_downloads_and_the_analysis_reads_it(test_dir, tmp_path):
    sync_playwright, chromium = playwright_chromium()
    from evals.cli import main

    layout = json.loads((test_dir / "test.json").read_text())
    test_id = layout["test_id"]
    errors, seen = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((test_dir / "index.html").as_uri())
        assert "7 kHz anchor removes little" in page.inner_text("body")  # 16 kHz audio: said on the page
        page.fill("#listener", "ann")
        page.click("#begin")
        page.wait_for_function("() => document.body.dataset.ready === 'training'")
        assert "Training" in page.inner_text("#trial-title")
        assert [s.strip() for s in page.inner_text(".scale").split("\n")] == [
            "bad", "poor", "fair", "good", "excellent"
        ]  # fmt: skip
        page.click("button[data-label=A]")
        page.wait_for_timeout(150)
        assert page.evaluate("() => document.body.dataset.playing") == "A"
        page.click("button[data-label=B]")  # switches, looping on
        assert page.evaluate("() => document.body.dataset.playing") == "B"
        page.click("#stop")
        assert page.evaluate("() => document.body.dataset.playing") == ""
        total = 1 + len(layout["trials"])
        for position in range(total):
            assert page.is_disabled("#next")  # every slider must be moved first
            seen.append(_rate_trial(page, layout, test_id))
            assert page.is_enabled("#next")
            if position == 1:  # reload halfway: nothing is lost
                before = _state(page, test_id)
                assert len(before["ratings"].get(seen[-1], {})) == len(INTENDED)  # saved as given
                page.reload()
                page.wait_for_function(f"() => document.body.dataset.ready === '{seen[-1]}'")
                after = _state(page, test_id)
                assert after["ratings"] == before["ratings"] and after["position"] == 1
                shown = page.eval_on_selector_all("input.rating", "els => els.map(e => Number(e.value))")
                kept = before["ratings"][seen[-1]]
                assert shown == [kept[k] for k in after["signal_order"][seen[-1]]]
                assert page.is_enabled("#next")
            page.click("#next")
        assert page.is_visible("#done")
        with page.expect_download() as download:
            page.click("#download")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        browser.close()
    assert not errors, errors
    assert seen[0] == "training" and sorted(seen[1:]) == sorted(t["id"] for t in layout["trials"])
    ratings = json.loads(saved.read_text())
    assert ratings["test_id"] == test_id and ratings["listener"] == "ann" and ratings["complete"]
    assert isinstance(ratings["seed"], int) and ratings["trial_order"] == seen
    draw = _generator(ratings["seed"])  # the recorded seed gives back both orders
    assert ratings["trial_order"] == ["training", *_shuffled([t["id"] for t in layout["trials"]], draw)]
    trials = {t["id"]: t for t in [layout["training"], *layout["trials"]]}
    for trial_id in ratings["trial_order"]:
        keys = [x["key"] for x in trials[trial_id]["signals"]]
        assert ratings["trials"][trial_id]["signal_order"] == _shuffled(keys, draw)
    for trial in layout["trials"]:
        got = ratings["trials"][trial["id"]]["ratings"]
        for s in trial["signals"]:
            assert abs(got[s["key"]] - INTENDED[s["condition"]]) <= 3, (s, got)
    # a second listener, the first one's ratings moved a little, so that an interval can be drawn
    other = json.loads(saved.read_text())
    other["listener"] = "bob"
    for entry in other["trials"].values():
        entry["ratings"] = {k: max(0, min(100, v - 4)) for k, v in entry["ratings"].items()}
    (tmp_path / "bob.json").write_text(json.dumps(other))
    assert main(["listening", str(test_dir), str(saved), str(tmp_path / "bob.json")]) == 0
    result = json.loads((test_dir / "listening.json").read_text())
    assert [k for k in result["screening"]["kept"]] == ["ann", "bob"]
    means = {(c["condition"], c["clip_class"]): c["mean"] for c in result["conditions"]}
    assert means[("hidden_reference", "*")] == pytest.approx(98, abs=3)
    assert means[("griffinlim-64it", "*")] > means[("griffinlim", "*")]

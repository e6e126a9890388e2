"""The analysis on simulated panels: listeners whose ratings are a known quality per method plus
listener, clip and rating noise, and one careless listener who rates at random.

- post-screening excludes exactly the careless listener, and names the reason;
- over 200 simulated panels, the 95 % intervals (bootstrap over listeners and clips) cover the true
  means in 90-99 % of the cases (the band allows for 200 panels' own spread, about +-3 %, and for the
  percentile bootstrap's small-sample bias);
- a metric built to agree with the known quality correlates near 1 and ranks the methods alike; one
  built to disagree does not.
"""

from __future__ import annotations

import numpy as np
import pytest

from evals.listening import stats
from evals.listening.analysis import ALL, analyse, score_matrix
from evals.listening.layout import FIXED, HIDDEN, REFERENCE, Layout, Signal, Trial, signal_key
from evals.listening.results import ListenerRatings

QUALITY = {"codec-a": 30.0, "codec-b": 48.0, "codec-c": 64.0, "codec-d": 80.0}
FIXED_QUALITY = {HIDDEN: 98.0, "anchor_low": 18.0, "anchor_mid": 50.0}
CLIPS = [f"speech_{i}" for i in range(4)] + [f"music_{i}" for i in range(4)]
LISTENER_SD, CLIP_SD, NOISE_SD = 6.0, 6.0, 8.0


def make_layout(metrics: dict | None = None) -> Layout:
    """A 48 kHz test of the four methods over CLIPS (no audio: hashes stand in for the WAVs)."""

    def trial(trial_id, clip, methods, block):
        def sig(condition):
            return Signal(signal_key(trial_id, condition), condition, f"{clip}/{condition}")

        return Trial(
            trial_id,
            clip,
            clip.split("_")[0],
            block,
            sig(REFERENCE),
            tuple(sig(c) for c in (*FIXED, *methods)),
            "c01",
        )

    trials = tuple(trial(f"t{i + 1:02d}", clip, tuple(QUALITY), 1) for i, clip in enumerate(CLIPS))
    return Layout("simulated", "-", 48000, (tuple(QUALITY),), trials[0], trials, (), metrics or {})


def simulate(layout: Layout, rng, listeners: int = 12, careless: bool = True) -> list[ListenerRatings]:
    """A panel: score = quality + listener bias + clip effect (per method) + noise, within 0-100 (the
    hidden reference near 100); plus one careless listener rating uniformly at random."""
    truth = {**QUALITY, **FIXED_QUALITY}
    clip_effect = {(t.clip, c): rng.normal(0, CLIP_SD) for t in layout.trials for c in QUALITY}
    panel = []
    for n in range(listeners):
        bias = rng.normal(0, LISTENER_SD)
        scores = {}
        for t in layout.trials:
            for s in t.signals:
                if s.condition == HIDDEN:
                    value = 100 - abs(rng.normal(0, 2.5))
                else:
                    effect = clip_effect.get((t.clip, s.condition), 0.0)
                    value = truth[s.condition] + bias + effect + rng.normal(0, NOISE_SD)
                scores[(t.id, s.condition)] = float(np.clip(value, 0, 100))
        panel.append(ListenerRatings(f"listener{n:02d}", None, n, True, scores))
    if careless:
        scores = {(t.id, s.condition): float(rng.uniform(0, 100)) for t in layout.trials for s in t.signals}
        panel.append(ListenerRatings("careless", None, 99, True, scores))
    return panel


def test_screening_excludes_exactly_the_careless_listener_and_says_why():
    layout = make_layout()
    for seed in range(5):
        analysis = analyse(layout, simulate(layout, np.random.default_rng(seed)), resamples=200)
        assert [e.listener for e in analysis.screening.excluded] == ["careless"]
        assert "hidden reference below 90" in analysis.screening.excluded[0].reason
        assert len(analysis.screening.kept) == 12


def test_a_mid_anchor_most_listeners_hear_as_transparent_excuses_the_trial():
    from evals.listening.screening import screen

    layout = make_layout()
    panel = simulate(layout, np.random.default_rng(1), careless=False)
    for listener in panel[:4]:  # 4 of 12 (33 %) rate the mid anchor 95 everywhere: excused
        listener.scores.update({(t.id, "anchor_mid"): 95.0 for t in layout.trials})
    assert screen(panel).excluded == () and len(screen(panel).excused_trials) == len(CLIPS)
    for listener in panel[:4]:  # only 2 of 12 (17 %) do on three trials: those two are excluded
        listener.scores.update({(t.id, "anchor_mid"): 50.0 for t in layout.trials})
    for listener in panel[:2]:
        listener.scores.update({(t.id, "anchor_mid"): 95.0 for t in layout.trials[:3]})
    found = screen(panel)
    assert [e.listener for e in found.excluded] == ["listener00", "listener01"]
    assert "mid anchor above 90 on 3 of 8" in found.excluded[0].reason


def test_the_intervals_cover_the_true_means_at_close_to_the_stated_rate():
    layout = make_layout()
    rng = np.random.default_rng(2024)
    clips = list(CLIPS)
    covered, total = 0, 0
    for panel_number in range(200):
        panel = simulate(layout, rng, careless=False)
        for method, truth in QUALITY.items():
            matrix = score_matrix(panel, layout, method, clips)
            low, high = stats.mean_interval(matrix, 1000, seed=panel_number)
            covered += low <= truth <= high
            total += 1
    rate = covered / total
    print(f"coverage {rate:.3f} over {total} intervals")
    assert 0.90 <= rate <= 0.99, rate


def test_a_metric_built_to_agree_correlates_near_one_and_one_built_to_disagree_does_not():
    rng = np.random.default_rng(5)
    metrics = {
        clip: {
            m: {
                "pesq_wb": 1 + q / 25 + rng.normal(0, 0.05),  # higher is better, follows the quality
                "lsd": 3 - q / 40 + rng.normal(0, 0.02),  # lower is better, follows it too
                "stoi": 1 - q / 100,  # higher is better, but runs against the quality
                "log_mel_l1": rng.uniform(0, 1),  # unrelated
            }
            for m, q in QUALITY.items()
        }
        for clip in CLIPS
    }
    layout = make_layout(metrics)
    analysis = analyse(layout, simulate(layout, np.random.default_rng(6)), resamples=500)
    pooled = {a.metric: a.correlation for a in analysis.agreement if a.clip_class == ALL}
    assert pooled["pesq_wb"].pearson > 0.85 and pooled["pesq_wb"].pearson_ci[0] > 0.7
    assert pooled["lsd"].spearman > 0.85  # oriented: +1 is agreement for a lower-is-better metric too
    assert pooled["stoi"].pearson < -0.85 and pooled["stoi"].pearson_ci[1] < 0
    assert abs(pooled["log_mel_l1"].pearson) < 0.5 and pooled["log_mel_l1"].pearson_ci[0] < 0.3
    assert pooled["pesq_wb"].n == len(CLIPS) * len(QUALITY)  # hidden reference and anchors left out
    classes = {a.clip_class for a in analysis.agreement}
    assert classes == {ALL, "speech", "music"}
    ranking = {r.metric: r.tau for r in analysis.ranking}
    assert ranking["pesq_wb"] == pytest.approx(1.0) and ranking["stoi"] == pytest.approx(-1.0)
    means = {s.condition: s.mean for s in analysis.conditions if s.clip_class == ALL}
    assert all(abs(means[m] - q) < 8 for m, q in QUALITY.items())

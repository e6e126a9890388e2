"""Post-screening of listeners after ITU-R BS.1534-3 (section 4.1.2): a listener is excluded who
rates the hidden reference below 90 on more than 15 % of the trials they rated, or the mid anchor
(7 kHz) above 90 on more than 15 % of them. A trial on which more than 25 % of the listeners rate the
mid anchor above 90 counts against no one (the anchor is then hard to hear on that clip: at 16 kHz
it removes only 7-8 kHz).
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.listening.anchors import MID
from evals.listening.layout import HIDDEN
from evals.listening.results import ListenerRatings

LIMIT = 90.0
SHARE = 0.15
EXCUSED_SHARE = 0.25


@dataclass(frozen=True)
class Exclusion:
    listener: str
    reason: str


@dataclass(frozen=True)
class Screening:
    """Who stays, who is excluded and why, and the trials excused from the mid-anchor rule."""

    kept: tuple[ListenerRatings, ...]
    excluded: tuple[Exclusion, ...]
    excused_trials: tuple[str, ...]


def _rated_trials(listener: ListenerRatings) -> set[str]:
    return {trial for trial, _ in listener.scores}


def screen(listeners: list[ListenerRatings]) -> Screening:
    """BS.1534-3's post-screening of `listeners`."""
    high_mid: dict[str, int] = {}
    for listener in listeners:
        for (trial, condition), value in listener.scores.items():
            if condition == MID.role and value > LIMIT:
                high_mid[trial] = high_mid.get(trial, 0) + 1
    raters: dict[str, int] = {}
    for listener in listeners:
        for trial in {t for (t, c) in listener.scores if c == MID.role}:
            raters[trial] = raters.get(trial, 0) + 1
    excused = sorted(t for t, n in high_mid.items() if n > EXCUSED_SHARE * raters[t])
    kept, excluded = [], []
    for listener in listeners:
        trials = _rated_trials(listener)
        low_hidden = [t for t in trials if listener.scores.get((t, HIDDEN), 100.0) < LIMIT]
        high = [t for t in trials if listener.scores.get((t, MID.role), 0.0) > LIMIT and t not in excused]
        reasons = []
        if len(low_hidden) > SHARE * len(trials):
            reasons.append(
                f"rated the hidden reference below {LIMIT:g} on {len(low_hidden)} of {len(trials)} trials "
                f"(more than {SHARE:.0%})"
            )
        if len(high) > SHARE * len(trials):
            reasons.append(
                f"rated the mid anchor above {LIMIT:g} on {len(high)} of {len(trials)} trials "
                f"(more than {SHARE:.0%}, on trials where at most {EXCUSED_SHARE:.0%} of listeners did)"
            )
        if reasons:
            excluded.append(Exclusion(listener.listener, "; ".join(reasons)))
        else:
            kept.append(listener)
    return Screening(tuple(kept), tuple(excluded), tuple(excused))

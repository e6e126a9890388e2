"""The one number format of every table and sentence the reports write.

Imports nothing from `evals`, so every layer (the gates' table included) can use it.
"""

from __future__ import annotations

import math

PERCENT_CAP = 1000.0


def readable(value, unit: str = "") -> str:
    """A value for reading: 3 significant digits, thousands with separators (`12,345`), an exponent only
    for magnitudes under 0.001 (`2.5e-05`); percentages whole from 10 % and past 1000 % capped in words;
    "-" for a missing, NaN or infinite value."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "-"
    if unit == "%":
        if abs(value) > PERCENT_CAP:
            return f"over {PERCENT_CAP:.0f} %" if value > 0 else f"under -{PERCENT_CAP:.0f} %"
        return f"{value:.0f} %" if abs(value) >= 10 else f"{value:.1f} %"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.001 or value == 0:
        return f"{value:.3g}"
    return f"{value:.1e}"


def signed(value, unit: str = "") -> str:
    """`readable` with a "+" before a positive value (for a change)."""
    text = readable(value, unit)
    return "+" + text if text[0].isdigit() and value > 0 else text


def with_unit(value, unit: str, sign: bool = False) -> str:
    """`readable(value, unit)` (`signed` when `sign`) followed by the unit (percent is already in it)."""
    text = signed(value, unit) if sign else readable(value, unit)
    return text if unit in ("", "%") or text == "-" else f"{text} {unit}"

"""The communication quality rule: raised at 20 % unanswered, cleared under 5 %, never on
too few exchanges, judged over a sliding window."""

from __future__ import annotations

import pytest

from drivers.osdp.quality import Quality

# (exchanges as (second, answered) in order, the changes reported)
CASES = [
    ("too few to judge", [(0, False)] * 9, []),
    ("1 in 5 missed raises", [(0, True)] * 8 + [(0, False)] * 2, ["poor"]),
    ("1 in 10 missed does not", [(0, True)] * 9 + [(0, False)], []),
    ("raised once", [(0, False)] * 30, ["poor"]),
    ("cleared when the bad window has passed",
     [(0, False)] * 10 + [(31, True)] * 10, ["poor", "restored"]),
    ("not cleared at 10 % (hysteresis)",
     [(0, False)] * 10 + [(31, True)] * 9 + [(31, False)], ["poor"]),
    ("the window slides: old misses forgotten",
     [(0, True)] * 8 + [(0, False)] + [(40, True)] * 8 + [(40, False)], []),
]


@pytest.mark.parametrize(("exchanges", "changes"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_quality(exchanges, changes):
    quality = Quality(window=30.0)
    reported = [quality.record(float(at), ok) for at, ok in exchanges]
    assert [r for r in reported if r] == changes


def test_the_description_names_the_window():
    quality = Quality(window=30.0)
    for ok in (True, False, False):
        quality.record(1.0, ok)
    assert quality.describe() == "2 timeouts in 3 exchanges over 30 s"

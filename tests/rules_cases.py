"""What the tests of core.rules share: `refused`, a check that must say no."""

from __future__ import annotations

import pytest

from core.errors import ValidationError


def refused(fn, *args, **kwargs) -> ValidationError:
    """Call `fn` expecting a ValidationError; return it for its field and message."""
    with pytest.raises(ValidationError) as exc:
        fn(*args, **kwargs)
    return exc.value

"""The one place a console survives what a store, a refusal or a late answer throws.

Every dialog's save, every worker and every action that reads or changes goes through
`attempt` (or the `guarded` decorator, which is `attempt` around a method):

- a refusal or a store error (the context turns database errors into a StoreError:
  locked, disk full, damaged) is shown, by its field when the caller gives a `show`,
  else as an error notice, and the session keeps running; nothing was saved, since a
  service call is one transaction;
- an answer that arrives after its screen was closed is dropped: no NoMatches from a
  widget that is gone, no dismissing of whichever screen is now on top;
- an error that is a bug is logged with its traceback and said in one line, rather
  than ending the operator's session.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import DoorkeeperError

if TYPE_CHECKING:
    from textual.dom import DOMNode

log = logging.getLogger(__name__)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class Dropped:
    """What `attempt` returns when the answer was not used (refused, failed, too late)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "DROPPED"


DROPPED = Dropped()


def gone(node: DOMNode) -> bool:
    """Whether the node's screen has closed (or the node left it): too late to show."""
    try:
        if not node.is_attached:
            return True
        return node.screen not in node.app.screen_stack
    except Exception:  # no screen any more (NoScreen), or no app
        return True


def is_current(node: DOMNode) -> bool:
    """Whether the node is the screen on top (a dialog may close itself)."""
    return not gone(node) and node.app.screen is node


def explain(err: Exception) -> DoorkeeperError:
    """What to tell the operator: a refusal as it is, anything else in one line."""
    if isinstance(err, DoorkeeperError):
        return err
    return DoorkeeperError(f"Something went wrong ({type(err).__name__}); nothing more was "
                           "done. It is in the console's log.")


def report(node: DOMNode, err: DoorkeeperError, title: str = "") -> None:
    """Show a refusal in the status area (an error notice), as plain text."""
    node.app.notify(err.message, title=title, severity="error", markup=False)


async def attempt(node: DOMNode, work: Awaitable[T], *,
                  show: Callable[[DoorkeeperError], object] | None = None,
                  title: str = "") -> T | Dropped:
    """Await `work` for `node`: its result, or DROPPED once the error is shown (by
    `show`, else as a notice) or the node's screen closed meanwhile."""
    try:
        result = await work
    except Exception as err:
        if gone(node):
            log.debug("dropped a late error for a closed screen: %r", err)
            return DROPPED
        if not isinstance(err, DoorkeeperError):
            log.exception("console: %s failed", type(node).__name__)
        (show or (lambda e: report(node, e, title)))(explain(err))
        return DROPPED
    if gone(node):
        log.debug("dropped a late answer for a closed screen")
        return DROPPED
    return result


def guarded(method: F) -> F:
    """An async method (a worker, an action, a handler) run through `attempt`: its
    errors are shown, its late answers dropped, and the session goes on."""

    @functools.wraps(method)
    async def run(self: DOMNode, *args: Any, **kwargs: Any) -> Any:
        result = await attempt(self, method(self, *args, **kwargs))
        return None if result is DROPPED else result

    return run  # type: ignore[return-value]

"""The bus between the gateway and the consoles: its messages and its two ends (ports).

The bus carries JSON objects (``dict``), each naming its kind in ``"type"``. Core says
what the messages are and what each end of the bus can do; how they travel (today a
Unix socket, see ``console.headless.bus``; tomorrow PostgreSQL's LISTEN/NOTIFY between
machines) is an adapter's business, and nothing here opens a socket.

Messages the gateway publishes to every console:

- ``event``: an access event (door opened, card refused, ...), ``{"event": {...}}``
- ``alarm``: an event that needs a person, same shape
- ``device``: a device's health, ``{"device": {"device_id": ..., ...}}``
- ``alarm_acknowledged``: ``{"alarm_id": ..., "by": ..., "note": ...}``
- ``changed``: the store changed (another console, the CLI); reload what is shown

Messages a console sends to the gateway:

- ``change``: a notice that the store changed (no reply)
- ``hello``: answered with every device's ``device`` message, then a reply
- ``ping``: answered with a reply alone (`serve`'s watchdog asks every 2 s whether the
  gateway's loop still answers; every device's state each time would be waste)
- ``open_door``, ``ack_alarm``: commands in an operator's name (``operator_id``)
- ``stuck``: from `serve`'s supervisor: it restarted a stuck process (``what``); the
  gateway records a "Process stuck" alarm on every site

A message carrying ``"request_id"`` is a request; it is answered to its sender alone by
``{"type": "reply", "request_id": ..., "ok": true|false, "error": "why not"?, ...}``.

Back-pressure is the transport's promise, stated on the ports: the gateway never waits
for a console (:meth:`GatewayBus.publish` does not block; a console that does not keep
up is disconnected), and a console that was disconnected sees
:meth:`ConsoleBus.messages` end, reconnects and reloads its views from the store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum
from typing import Any, Protocol, Self

from core.errors import DoorkeeperError

#: one bus message: a JSON object whose "type" is a Kind
Message = dict[str, Any]


class Kind(StrEnum):
    """The ``"type"`` of a bus message (equal to its plain string)."""

    # gateway -> every console
    EVENT = "event"
    ALARM = "alarm"
    DEVICE = "device"
    ALARM_ACKNOWLEDGED = "alarm_acknowledged"
    CHANGED = "changed"
    # console -> gateway
    CHANGE = "change"
    HELLO = "hello"
    PING = "ping"
    OPEN_DOOR = "open_door"
    ACK_ALARM = "ack_alarm"
    STUCK = "stuck"
    RESTART_READER = "restart_reader"
    # gateway -> the console that asked
    REPLY = "reply"


#: the console messages that are commands in an operator's name
COMMANDS = frozenset({Kind.OPEN_DOOR, Kind.ACK_ALARM, Kind.RESTART_READER})


def reply_to(request: Message, *, ok: bool = True, error: str | None = None,
             **fields: Any) -> Message:
    """The answer to ``request``.

    Args:
        request: the message answered (its ``request_id`` is echoed, None if absent).
        ok: whether the request was carried out.
        error: why not, for people (left out when None).
        **fields: anything else the answer carries.

    Returns:
        A ``reply`` message.
    """
    msg: Message = {"type": Kind.REPLY.value, "request_id": request.get("request_id"),
                    "ok": ok}
    if error is not None:
        msg["error"] = error
    msg.update(fields)
    return msg


class BusClosed(DoorkeeperError):
    """The connection to the gateway's bus is closed (or was never open)."""


class Peer(Protocol):
    """A connected console as the gateway's end sees it."""

    #: the peer process's user id and process id, when the transport can tell
    uid: int | None
    pid: int | None


#: what the gateway's end calls for every well-formed incoming message; a result that is
#: awaitable is run as a task
MessageHandler = Callable[[Message, Peer], Awaitable[Any] | Any]


class GatewayBus(ABC):
    """The gateway's end: publishes to every console, answers each one alone.

    The handler of incoming messages is given to the adapter when it is made.
    """

    @abstractmethod
    async def start(self) -> None:
        """Start accepting consoles.

        Raises:
            ConfigError: the bus cannot be opened (another gateway holds it, a bad path).
        """

    @abstractmethod
    async def close(self) -> None:
        """Send what was published, disconnect every console, release the bus."""

    @abstractmethod
    def publish(self, msg: Message) -> None:
        """Send ``msg`` to every console, without waiting for any of them.

        A console that does not keep up is disconnected rather than waited for.

        Raises:
            TypeError, ValueError: ``msg`` is not a JSON-able dict (nothing is sent).
        """

    @abstractmethod
    def send(self, peer: Peer, msg: Message) -> bool:
        """Send ``msg`` to one console.

        Returns:
            False if that console is gone (or was just disconnected for not keeping up).
        """

    def reply(self, peer: Peer, request: Message, *, ok: bool = True,
              error: str | None = None, **fields: Any) -> bool:
        """Answer ``request`` to the console that sent it (see :func:`reply_to`).

        Returns:
            As :meth:`send`.
        """
        return self.send(peer, reply_to(request, ok=ok, error=error, **fields))


class ConsoleBus(ABC):
    """A console's end: sends notices and requests, receives what the gateway publishes."""

    @property
    @abstractmethod
    def closed(self) -> bool:
        """True once the connection is closed, by either side."""

    @abstractmethod
    async def send(self, msg: Message) -> None:
        """Send one message to the gateway.

        Raises:
            BusClosed: the connection is closed.
        """

    @abstractmethod
    async def request(self, msg: Message, timeout: float = 5.0) -> Message:
        """Send ``msg`` as a request and return the gateway's reply as it is (check ``ok``).

        Raises:
            TimeoutError: no reply within ``timeout`` seconds.
            BusClosed: the connection ended first.
        """

    @abstractmethod
    def messages(self) -> AsyncIterator[Message]:
        """Every message the gateway sends (except replies), in order, until the bus closes.

        Meant for one consumer at a time.
        """

    @abstractmethod
    async def close(self) -> None:
        """Close the connection; :meth:`messages` ends, pending requests fail."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

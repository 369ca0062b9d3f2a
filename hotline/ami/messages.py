"""AMI frames as typed, read-only views, the adapter's errors, and action serialisation.

Frames are parsed here with the rules of panoramisk's ``Message.from_line`` (a test holds the two
equal on generated input): it built two dictionaries per frame and was most of the centre's CPU for
AMI at 5 calls a second. Actions are written by panoramisk's ``Action`` (a list value becomes
repeated headers, which is how AMI takes several ``Variable:``). Everything else (correlation,
reconnection, error handling) lives in this package.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import unquote

from panoramisk.actions import Action

SUCCESS_RESPONSES = frozenset({"success", "follows", "goodbye"})
HeaderValue = str | Sequence[str]


class AmiError(Exception):
    """An AMI action failed or could not be sent; ``error_id`` is stable, ``details`` is JSON-friendly."""

    def __init__(self, error_id: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.details: dict[str, object] = details


class AmiNotConnected(AmiError):
    """The AMI connection is down (not yet connected, lost, or closed)."""

    def __init__(self, message: str = "AMI is not connected", **details: object) -> None:
        super().__init__("ami.not_connected", message, **details)


class AmiMessage(Mapping[str, str]):
    """Read-only, case-insensitive view of one AMI frame; repeated headers keep every value."""

    __slots__ = ("_keys", "_values")

    def __init__(self, headers: Mapping[str, HeaderValue]) -> None:
        self._keys: dict[str, str] = {}
        self._values: dict[str, tuple[str, ...]] = {}
        for key, value in headers.items():
            values = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
            self._keys[key.lower()] = key
            self._values[key.lower()] = values

    def __getitem__(self, key: str) -> str:
        """The first value of header ``key`` (any case)."""
        return self._values[key.lower()][0]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._values)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated header such as ``ChanVariable``; empty when absent."""
        return list(self._values.get(key.lower(), ()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.items())
        return f"<{type(self).__name__} {inner}>"


class AmiEvent(AmiMessage):
    """One AMI event; ``name`` is its ``Event`` header, ``node`` the Asterisk node it came from (the
    receiving client's node name; empty for a centre with one unnamed node)."""

    __slots__ = ("node",)

    def __init__(self, headers: Mapping[str, HeaderValue], *, node: str = "") -> None:
        super().__init__(headers)
        self.node = node

    @property
    def name(self) -> str:
        """The ``Event`` header, e.g. ``Newchannel``."""
        return self.get("Event", "")


class AmiResponse(AmiMessage):
    """The ``Response`` frame answering one action."""

    __slots__ = ()

    @property
    def success(self) -> bool:
        """True for ``Success``, ``Follows`` and ``Goodbye``."""
        return self.get("Response", "").lower() in SUCCESS_RESPONSES

    @property
    def message(self) -> str:
        """The ``Message`` header (empty when absent)."""
        return self.get("Message", "")


_HAS_BODY = ("Response: Follows", "Response: Fail")


def parse_frame(text: str) -> AmiEvent | AmiResponse | None:
    """One frame (without its blank-line terminator) as an event or a response, else None.

    ``Event`` wins over ``Response``: ``OriginateResponse`` events carry a ``Response`` header too.
    Headers are kept as sent, an empty value included (also on the frame's last line, and written
    ``Key:`` without the space); a header sent twice in the same spelling keeps both values, of two
    spellings the last wins. The last non-empty line of a ``Follows``/``Fail`` response is its body,
    given as ``Output`` unless that header came too; a header called ``content`` is dropped.
    """
    lines = [line + " " if line.endswith(":") else line for line in text.strip("\r\n").split("\r\n")]
    body = ""
    if lines[0].startswith(_HAS_BODY):
        body = lines.pop()
        while not body and lines:
            body = lines.pop()
    sent = _headers_as_sent(lines)
    if "Event" not in sent and "Response" not in sent:
        return None
    spelled: dict[str, tuple[str, str | list[str]]] = {}
    for key, value in sent.items():
        spelled[key.lower()] = (key, value)
    spelled.pop("content", None)
    headers: dict[str, HeaderValue] = dict(spelled.values())
    if body and "Output" not in headers:
        headers["Output"] = body
    if "Event" in headers:
        return AmiEvent(headers)
    return AmiResponse(headers)


def _headers_as_sent(lines: list[str]) -> dict[str, str | list[str]]:
    """``Key: value`` lines by key as spelled; a key repeated in one spelling keeps every value."""
    sent: dict[str, str | list[str]] = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep:
            continue
        if key.lower() == "result":
            value = unquote(value).strip()
        before = sent.get(key)
        if before is None:
            sent[key] = value
        elif isinstance(before, list):
            before.append(value)
        else:
            sent[key] = [before, value]
    return sent


def _check_header(key: str, value: str) -> None:
    for text in (key, value):
        if "\r" in text or "\n" in text:
            raise AmiError("ami.invalid_header", "AMI header contains a line break", header=key)
    if not key or ":" in key:
        raise AmiError("ami.invalid_header", "AMI header name is empty or has a colon", header=key)


def encode_action(action: Mapping[str, HeaderValue], action_id: str) -> bytes:
    """The wire bytes of ``action`` with ``ActionID`` set; list values become repeated headers."""
    fields: dict[str, HeaderValue] = {}
    for key, value in action.items():
        if key.lower() == "actionid":
            continue
        values = [value] if isinstance(value, str) else list(value)
        for item in values:
            _check_header(key, item)
        fields[key] = value if isinstance(value, str) else values
    fields["ActionID"] = action_id
    _check_header("ActionID", action_id)
    return str(Action(fields)).encode("utf-8")

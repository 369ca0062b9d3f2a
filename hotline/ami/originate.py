"""The header set of one AMI ``Originate``: always asynchronous, one ``Variable:`` header per variable."""

from __future__ import annotations

from collections.abc import Mapping

from hotline.ami.messages import AmiError, HeaderValue

_ESCAPED = frozenset('\\,"()[]')


def escape_variable_value(value: str) -> str:
    """Protect ``value`` from Asterisk's argument splitter (commas, quotes, brackets, backslashes)."""
    return "".join("\\" + ch if ch in _ESCAPED else ch for ch in value)


def _variable_headers(variables: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for name, value in variables.items():
        if not name or any(ch in name for ch in '=, \t"\\'):
            raise AmiError("ami.invalid_originate", f"bad channel variable name {name!r}", variable=name)
        out.append(f"{name}={escape_variable_value(value)}")
    return out


def _target(
    application: str | None, data: str | None, context: str | None, exten: str | None, priority: int | None
) -> dict[str, HeaderValue]:
    dialplan = (context, exten, priority)
    if application is not None and all(x is None for x in dialplan):
        target: dict[str, HeaderValue] = {"Application": application}
        if data is not None:
            target["Data"] = data
        return target
    if application is None and data is None and all(x is not None for x in dialplan):
        return {"Context": str(context), "Exten": str(exten), "Priority": str(priority)}
    raise AmiError(
        "ami.invalid_originate",
        "Originate needs either application (+data) or context, exten and priority",
        application=application,
        context=context,
        exten=exten,
        priority=priority,
    )


def build_originate(
    *,
    channel: str,
    application: str | None,
    data: str | None,
    context: str | None,
    exten: str | None,
    priority: int | None,
    caller_id: str | None,
    variables: Mapping[str, str] | None,
    channel_id: str | None,
    other_channel_id: str | None,
    timeout_ms: int,
    codecs: str | None = None,
) -> dict[str, HeaderValue]:
    """Headers of an ``Originate`` action (without ``ActionID``)."""
    fields: dict[str, HeaderValue] = {"Action": "Originate", "Channel": channel}
    fields |= _target(application, data, context, exten, priority)
    optional = {
        "CallerID": caller_id,
        "ChannelId": channel_id,
        "OtherChannelId": other_channel_id,
        "Codecs": codecs,
    }
    fields |= {k: v for k, v in optional.items() if v is not None}
    if variables:
        fields["Variable"] = _variable_headers(variables)
    fields["Timeout"] = str(timeout_ms)
    fields["Async"] = "true"
    return fields

"""The trunks and lines of a :class:`~hotline.trunks.TrunkPlan` as config text.

- Asterisk (``asterisk_conf/pjsip_trunks.conf``): an endpoint and an identify per trunk. The identify
  matches the carrier's addresses (a node the carrier reaches directly) and the ``X-Hotline-Trunk``
  header the Kamailio front sets after identifying the carrier by its address (Kamailio strips the
  header from whatever arrives from outside); ``pjsip.conf`` checks header identifiers first. The
  endpoint sets ``HOTLINE_TRUNK`` and ``HOTLINE_TRUNK_MAX`` for the node's own limit (GROUP_COUNT in
  ``[hotline-inbound]``). It names no transport: requests in the call follow their destination (UDP to
  a carrier reached directly, UDP or TCP to the Kamailio front as the nodes speak to it).
- Asterisk (``asterisk_conf/extensions_lines.conf``): one Gosub per dialled number setting
  ``HOTLINE_LINE`` (name), ``HOTLINE_LINE_LABEL``, ``HOTLINE_LINE_FLOW`` and ``HOTLINE_LINE_QUEUE``.
- Kamailio (``kamailio_conf/kamailio.cfg``): the body of ``route[TRUNK]``, setting ``$var(trunk)`` and
  ``$var(trunk_max)`` from the source address.
"""

from __future__ import annotations

from hotline.trunks import TRUNK_HEADER, Line, Trunk, TrunkPlan

__all__ = ["kamailio_trunk_route", "lines_dialplan", "pjsip_trunk_blocks"]


def _trunk_block(trunk: Trunk) -> str:
    name = trunk.endpoint
    matches = "".join(f"match = {address}\n" for address in trunk.addresses)
    return (
        f"[{name}]\ntype = endpoint\ncontext = {trunk.context}\n"
        f"disallow = all\nallow = {','.join(trunk.codecs)}\ndtmf_mode = {trunk.dtmf}\n"
        f"direct_media = no\nrtp_symmetric = yes\ntrust_id_inbound = no\nsend_pai = no\n"
        f"set_var = HOTLINE_TRUNK={trunk.name}\nset_var = HOTLINE_TRUNK_MAX={trunk.max_calls}\n\n"
        f"[{name}]\ntype = identify\nendpoint = {name}\n{matches}"
        f"match_header = {TRUNK_HEADER}: {trunk.name}\n"
    )


def pjsip_trunk_blocks(plan: TrunkPlan) -> str:
    """The endpoint and identify sections of every trunk (a comment when there is none)."""
    if not plan.trunks:
        return "; no carrier trunks configured\n"
    return "\n".join(_trunk_block(trunk) for trunk in plan.trunks)


def _line_sub(line: Line) -> str:
    return (
        f"exten => {line.number},1,Set(HOTLINE_LINE={line.name})\n"
        f" same => n,Set(HOTLINE_LINE_LABEL={line.label})\n"
        f" same => n,Set(HOTLINE_DIALLED=${{EXTEN}})\n"
        f" same => n,Set(HOTLINE_LINE_FLOW={line.flow or ''})\n"
        f" same => n,Set(HOTLINE_LINE_QUEUE={line.queue or ''})\n"
        f" same => n,Return()\n"
    )


def lines_dialplan(plan: TrunkPlan) -> str:
    """The extensions of ``[hotline-lines]``: one Gosub target per dialled number."""
    return "\n".join(_line_sub(line) for line in plan.lines)


def _trunk_condition(trunk: Trunk) -> str:
    tests = " || ".join(f'is_in_subnet("$si", "{address}")' for address in trunk.addresses)
    return (
        f"\tif ({tests}) {{\n"
        f'\t\t$var(trunk) = "{trunk.name}";\n'
        f"\t\t$var(trunk_max) = {trunk.max_calls};\n"
        f"\t\treturn;\n\t}}\n"
    )


def kamailio_trunk_route(plan: TrunkPlan) -> str:
    """Statements naming the trunk a request comes from (``$var(trunk)`` stays empty for none)."""
    return '\t$var(trunk) = "";\n\t$var(trunk_max) = 0;\n' + "".join(
        _trunk_condition(trunk) for trunk in plan.trunks
    )

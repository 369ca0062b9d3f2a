"""Calls 110 transfers by phone: the shipped trunks file has the 110 platform's trunk and its own line,
labelled 110转接 (the label the screen-pop shows), straight to an agent queue."""

from __future__ import annotations

from acd.queue_config import default_queue_configs
from hotline.trunks import load_trunks_file
from hotline.trunks_render import lines_dialplan, pjsip_trunk_blocks


def test_shipped_trunks_have_the_110_line_labelled_110_transfer_into_an_existing_queue() -> None:
    plan = load_trunks_file()
    line = next(line for line in plan.lines if line.name == "police_110")
    assert (line.number, line.label, line.queue, line.flow) == ("12345110", "110转接", "general", None)
    plan.check_queues({q.name for q in default_queue_configs(default_wrapup_s=10)})
    dialplan = lines_dialplan(plan)
    assert (
        "exten => 12345110,1,Set(HOTLINE_LINE=police_110)\n same => n,Set(HOTLINE_LINE_LABEL=110转接)\n"
        in dialplan
    )
    assert "[trunk-police_110]" in pjsip_trunk_blocks(plan)

"""Video calls (tag ``video``) of the sign-language page reach only agents with the queue's own skill.

The shipped queues: ``sign_video`` has no overflow and no surge seats; and a video call put in a queue
that does widen (the accessibility line opens to general seats after 30 s) stays with sign language.
"""

from __future__ import annotations

from acd.commands import AcdCommand, OfferCall, ScheduleTick
from acd.engine import AcdEngine
from acd.events import AcdEvent, AgentLoggedIn, AgentReady, CallQueued, SurgeMode, Tick
from acd.queue_config import default_queue_configs
from acd.store import MemoryStore


class Centre:
    """The shipped queues on a MemoryStore, with a clock passed as ``now``."""

    def __init__(self) -> None:
        self.engine = AcdEngine(queues=default_queue_configs(default_wrapup_s=1.0), store=MemoryStore())
        self.now = 0.0

    def do(self, event: AcdEvent, *, at: float | None = None) -> list[AcdCommand]:
        if at is not None:
            self.now = at
        return self.engine.handle(event, self.now)

    def ready(self, agent_id: str, **skills: int) -> None:
        self.do(AgentLoggedIn(agent_id, f"PJSIP/{agent_id}", skills))
        self.do(AgentReady(agent_id))

    def queue(self, call_id: str, queue: str, tags: str) -> list[AcdCommand]:
        attrs = {"tags": tags}
        return self.do(CallQueued(call_id, queue, "sg01", f"ch-{call_id}", 0, attrs=attrs))


def offered(commands: list[AcdCommand]) -> list[tuple[str, str]]:
    return [(c.call_id, c.agent_id) for c in commands if isinstance(c, OfferCall)]


def test_given_only_a_voice_agent_when_a_video_call_waits_long_then_it_is_never_offered() -> None:
    centre = Centre()
    centre.ready("voice", general=1)
    queued = centre.queue("v1", "sign_video", "video")
    assert offered(queued) == []
    assert not [c for c in queued if isinstance(c, ScheduleTick)]
    assert offered(centre.do(Tick(), at=600.0)) == []
    assert offered(centre.do(SurgeMode(on=True), at=601.0)) == []
    assert offered(centre.do(Tick(), at=900.0)) == []


def test_given_voice_and_signing_agents_when_a_video_call_comes_then_the_signing_agent_gets_it() -> None:
    centre = Centre()
    centre.ready("voice", general=1)
    centre.ready("signer", sign_language=1)
    assert offered(centre.queue("v1", "sign_video", "video")) == [("v1", "signer")]


def test_given_the_accessibility_line_when_a_video_call_waits_past_overflow_then_it_does_not_widen() -> None:
    centre = Centre()
    centre.ready("voice", general=1)
    centre.queue("v1", "accessibility", "confidential,video")
    assert offered(centre.do(Tick(), at=31.0)) == []
    assert centre.engine.store.get_call("v1") is not None
    # the same line's voice caller does widen to the general seat after 30 s (the test can fail)
    centre.queue("a1", "accessibility", "")
    assert offered(centre.do(Tick(), at=62.0)) == [("a1", "voice")]

"""The IVR's work-order status answer: look the keyed order up and speak it as a generated prompt.

The answer's text (``ivr.order_status_speech``) is synthesised at call time with the same Mandarin
pinyin voice as every generated prompt (``ivr.prompts.synthesise``) into
``<sounds>/zh/hotline/order_status/<hash>.wav``, the hash taken over the spoken form and the voice
settings, so the same answer is generated once and played from the file afterwards (the fixed
confidential answer is made on its first use); the oldest answers beyond ``MAX_KEPT`` are deleted.
Lookup and synthesis run in a worker thread; espeak-ng and sox take well under a second for one
sentence.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ivr import prompts
from ivr.order_status_speech import OrderFacts, answer_text, order_number_from_digits
from ivr.pinyin_text import speakable
from ivr.prompt_audio import voice_signature
from tickets import repository as tickets_repo
from tickets.catalogue import Catalogue
from tickets.department_names import handling_name

log = logging.getLogger(__name__)

PROMPT_FOLDER = "order_status"
MAX_KEPT = 5000
"""Generated answers kept on disk (an answer holds the date and state, so old ones are not asked again)."""
UNAVAILABLE_PROMPT = "degraded_notice"
"""Played when the order could not be looked up or its answer not generated (not "not found")."""


def prompt_id_for(text: str) -> str:
    """The prompt id of the generated answer ``text`` (stable for the same speech and voice)."""
    digest = hashlib.sha256(f"{voice_signature()}|{speakable(text)}".encode()).hexdigest()[:20]
    return f"{PROMPT_FOLDER}/{digest}"


def ensure_spoken(sounds_dir: Path, text: str, *, keep: int = MAX_KEPT) -> str:
    """Generate ``text`` as a prompt unless it already exists; its prompt id.

    After generating, the folder keeps at most ``keep`` answers: the least recently made go (an answer
    being played stays readable to Asterisk until it closes the file).
    """
    prompt_id = prompt_id_for(text)
    target = prompts.prompt_file(sounds_dir, prompt_id)
    if not target.exists():
        prompts.synthesise(text, target)
        prune(target.parent, keep=keep, spare=target)
    return prompt_id


def prune(folder: Path, *, keep: int, spare: Path) -> int:
    """Delete the oldest answers beyond ``keep`` (never ``spare``); how many were deleted."""
    answers = sorted(folder.glob("*.wav"), key=_mtime)
    extra = [p for p in answers[: max(0, len(answers) - keep)] if p != spare]
    for path in extra:
        path.unlink(missing_ok=True)
    return len(extra)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@dataclass(frozen=True, slots=True)
class OrderStatusTeller:
    """Finds orders by the keyed number and turns the answer into a playable prompt."""

    sessions: sessionmaker[Session]
    sounds_dir: Path
    prefix: str = tickets_repo.NUMBER_PREFIX
    catalogue: Catalogue | None = None

    def facts(self, digits: str) -> OrderFacts | None:
        """What may be said about the order keyed as ``digits``; None when there is no such order."""
        number = order_number_from_digits(digits, prefix=self.prefix)
        if number is None:
            return None
        row = tickets_repo.get_work_order(self.sessions, number=number)
        if row is None:
            return None
        return OrderFacts(
            number=row.number,
            status=row.status,
            department=handling_name(self.sessions, row, self.catalogue),
            reply_due=row.reply_due,
            confidential=row.caller.confidential,
            caller_number=row.caller.number,
        )

    def answer_prompt(self, digits: str, calling_number: str) -> str | None:
        """The prompt id that answers the caller, or None for an unknown order (not found)."""
        found = self.facts(digits)
        if found is None:
            return None
        return ensure_spoken(self.sounds_dir, answer_text(found, calling_number))

    async def answer(self, digits: str | None, calling_number: str) -> str | None:
        """``answer_prompt`` off the event loop; ``UNAVAILABLE_PROMPT`` when it could not be made."""
        if not digits:
            return None
        try:
            return await asyncio.to_thread(self.answer_prompt, digits, calling_number)
        except (prompts.PromptError, OSError, SQLAlchemyError):
            log.exception("order status answer for %s not made; the caller goes to a person", digits)
            return UNAVAILABLE_PROMPT

"""What the centre is built from, decided from its settings before anything starts: the queues, the
Asterisk sandbox root and CEL file, the AMI link to every node, the ACD store, the admin user, where
prompts go. hotline.app.Centre wires them together and runs them.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from acd.model import QueueConfig
from acd.queue_config import default_queue_configs, load_queues_file
from acd.store import AcdStore, MemoryStore
from acd.store_redis import RedisStore
from agent_desktop.auth import hash_password
from hotline.ami.client import AmiClient
from hotline.ami.nodes import PbxNodes
from hotline.db import repository as repo
from hotline.private_files import write_private
from hotline.sandbox.provision import ROOT_NAME, root_is_ready
from hotline.settings import Settings
from ivr.flow import SHANGHAI

log = logging.getLogger(__name__)

ADMIN_PASSWORD_FILE = "admin-password"


def default_queues(settings: Settings) -> list[QueueConfig]:
    """The centre's queues: ``HOTLINE_QUEUES_FILE`` when set, else the shipped ``acd/queues.yaml`` (every
    queue the 12345 flow pack routes to, with overflow). InvalidConfig says what is wrong with a file."""
    if settings.queues_file is not None:
        return load_queues_file(settings.queues_file, default_wrapup_s=settings.wrapup_seconds)
    return default_queue_configs(default_wrapup_s=settings.wrapup_seconds)


def shanghai_now() -> datetime:
    """The wall clock the call flows branch on."""
    return datetime.now(SHANGHAI)


def utc_now() -> datetime:
    """The wall clock revisits are scheduled by."""
    return datetime.now(UTC)


def sandbox_root(settings: Settings) -> Path | None:
    """The Asterisk sandbox root under the cache directory, when one has been built."""
    root = settings.cache_dir / ROOT_NAME
    return root if root_is_ready(root) else None


def cel_file(settings: Settings) -> Path | None:
    """Asterisk's channel event log: configured, or the sandbox instance's own (when a root is built)."""
    if settings.cel_file is not None or settings.asterisk_mode != "sandbox":
        return settings.cel_file
    root = sandbox_root(settings)
    if root is None:
        return None
    return root / "etc" / "hotline" / settings.asterisk_instance / "log" / "cel.jsonl"


def ami_link(settings: Settings, secret: str) -> AmiClient | PbxNodes:
    """One AMI client, or one per Asterisk node when ``HOTLINE_AMI_NODES`` names several."""
    nodes = settings.ami_node_list()
    only = settings.ami_only_handled_events
    if not nodes:
        return AmiClient(
            host=settings.ami_host,
            port=settings.ami_port,
            username=settings.ami_username,
            secret=secret,
            only_handled_events=only,
        )
    return PbxNodes(
        [
            AmiClient(
                host=host,
                port=port,
                username=settings.ami_username,
                secret=secret,
                node=name,
                only_handled_events=only,
            )
            for name, host, port in nodes
        ]
    )


def acd_store(settings: Settings) -> AcdStore:
    """Shared ACD state in Redis when configured (several app nodes), else in this process."""
    if settings.redis_url:
        return RedisStore.from_url(settings.redis_url, prefix=settings.redis_prefix)
    return MemoryStore()


def ensure_admin(sessions: sessionmaker[Session], settings: Settings) -> Path | None:
    """Make sure an ``admin`` user exists. A password given in the settings is used and never written
    anywhere; otherwise one is generated and written (mode 0600) to ``admin-password`` in the state
    directory. Returns that file's path when a password was generated, else None."""
    if repo.get_agent(sessions, agent_id="admin") is not None:
        return None
    given = settings.admin_password.get_secret_value()
    password = given or secrets.token_urlsafe(12)
    secret_file = settings.state_dir / ADMIN_PASSWORD_FILE
    if not given:
        write_private(secret_file, password + "\n")
    repo.upsert_agent(
        sessions,
        agent_id="admin",
        name="管理员",
        contact="",
        skills={},
        role="admin",
        password_hash=hash_password(password),
    )
    return None if given else secret_file


def prompts_dir(root: Path) -> Path:
    """Where Asterisk (inside the sandbox root) looks for sounds."""
    return root / "usr" / "share" / "asterisk" / "sounds"

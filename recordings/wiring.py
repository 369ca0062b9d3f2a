"""Builds the call recording and gives the HTTP app the recordings root (called by the composition root)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from hotline.ami.link import AmiLink
from hotline.bus import EventBus
from hotline.private_files import private_dir
from hotline.settings import Settings
from recordings.capture import CallRecording
from recordings.files import Spools, parse_spools, recordings_root
from recordings.store import Sessions


def spools_of(settings: Settings, asterisk_root: Path | None) -> Spools:
    """The configured spools; in sandbox mode without any, the sandbox instance's own monitor spool."""
    spools = parse_spools(settings.recordings_spools)
    if not spools and settings.asterisk_mode == "sandbox" and asterisk_root is not None:
        instance = asterisk_root / "etc" / "hotline" / settings.asterisk_instance
        spools[""] = instance / "spool" / "monitor"
    return Spools(spools)


def install_recordings(
    app: FastAPI,
    *,
    settings: Settings,
    ami: AmiLink,
    bus: EventBus,
    sessions: Sessions,
    asterisk_root: Path | None,
) -> CallRecording:
    """The call recording (its ``run()`` is started by the centre); the routes find the root on the app."""
    root = recordings_root(settings)
    private_dir(root)
    app.state.recordings_root = root
    recording = CallRecording(
        ami=ami,
        bus=bus,
        sessions=sessions,
        root=root,
        spools=spools_of(settings, asterisk_root),
        notice=settings.recording_notice,
    )
    recording.install()
    return recording

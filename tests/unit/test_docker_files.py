"""Static checks of docker/: the compose file and both Dockerfiles (no Docker engine is needed)."""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotline.cli import build_parser
from hotline.kamailio.settings import KamailioSettings
from hotline.settings import Settings
from tests.conftest import REPO_ROOT

DOCKER_DIR = REPO_ROOT / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
DOCKERFILES = sorted(DOCKER_DIR.glob("Dockerfile.*"))
KNOWN_INSTRUCTIONS = {
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
}
INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?[-?]([^}]*))?\}")
SETTINGS_ENV = {f"HOTLINE_{name.upper()}" for name in Settings.model_fields}


def compose() -> dict[str, Any]:
    """The parsed compose file."""
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    """The compose services by name."""
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whichever of the two compose spellings it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def instructions(dockerfile: Path) -> Iterator[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` per logical line: comments dropped, continuations joined."""
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical, pending = pending + line, ""
        keyword, _, args = logical.partition(" ")
        yield keyword.upper(), args.strip()
    assert not pending, f"{dockerfile.name} ends inside a continuation"


def exec_form(args: str) -> list[str]:
    """The JSON (exec) form of CMD/ENTRYPOINT arguments."""
    parsed = json.loads(args)
    assert isinstance(parsed, list)
    assert all(isinstance(p, str) for p in parsed)
    return parsed


def host_ports(spec: str) -> set[tuple[int, str]]:
    """``(host port, protocol)`` pairs a ``ports`` entry publishes."""
    spec, _, proto = spec.partition("/")
    parts = spec.split(":")
    assert len(parts) in (2, 3), f"publish host ports explicitly: {spec}"
    low, _, high = parts[-2].partition("-")
    return {(port, proto or "tcp") for port in range(int(low), int(high or low) + 1)}


def test_every_service_has_an_image_or_a_build_whose_dockerfile_exists() -> None:
    for name, service in services().items():
        assert "image" in service or "build" in service, name
        build = service.get("build")
        if build is None:
            continue
        context = (DOCKER_DIR / build["context"]).resolve()
        assert context.is_dir(), name
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name


def test_the_four_parts_are_there_with_pinned_major_versions() -> None:
    found = services()
    assert {"asterisk", "app", "redis", "postgres"} <= set(found)
    assert found["redis"]["image"] == "redis:7"
    assert found["postgres"]["image"] == "postgres:15"


def test_depends_on_names_existing_services_and_valid_conditions() -> None:
    found = services()
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in found.items():
        depends = service.get("depends_on", {})
        names = depends if isinstance(depends, list) else list(depends)
        assert set(names) <= set(found) - {name}, name
        if isinstance(depends, dict):
            for dep, rule in depends.items():
                assert rule["condition"] in conditions, (name, dep)
                if rule["condition"] == "service_healthy":
                    assert "healthcheck" in found[dep], (name, dep)


def test_long_running_services_have_healthchecks() -> None:
    for name, service in services().items():
        if service.get("restart") == "no":
            continue
        check = service.get("healthcheck")
        assert check is not None, name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_hotline_environment_keys_are_settings_fields_with_valid_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, service in services().items():
        env = {k: v for k, v in environment(service).items() if k.startswith("HOTLINE_")}
        assert set(env) <= SETTINGS_ENV, (name, set(env) - SETTINGS_ENV)
        for key, value in env.items():
            monkeypatch.setenv(key, INTERPOLATION.sub(lambda m: m.group(2) or "x", value))
        Settings()
        for key in env:
            monkeypatch.delenv(key)


def test_app_talks_to_the_other_services_by_name() -> None:
    env = environment(services()["app"])
    assert env["HOTLINE_ASTERISK_MODE"] == "external"
    assert env["HOTLINE_AMI_HOST"] == "asterisk"
    assert "@postgres:5432/" in env["HOTLINE_DATABASE_URL"]
    assert "@redis:6379/" in env["HOTLINE_REDIS_URL"]


def test_redis_requires_a_password_that_the_app_and_the_healthcheck_use() -> None:
    redis = services()["redis"]
    command = redis["command"]
    password = command[command.index("--requirepass") + 1]
    assert password == "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
    assert environment(redis)["REDISCLI_AUTH"] == password
    for name in ("app", "asterisk-config"):
        env = environment(services()[name])
        assert env["HOTLINE_REDIS_URL"].startswith(f"redis://:{password}@redis:6379/"), name
        assert env["HOTLINE_RELAY_SECRET"] == "${HOTLINE_RELAY_SECRET:?set HOTLINE_RELAY_SECRET}", name


def test_published_host_ports_do_not_collide() -> None:
    published: Counter[tuple[int, str]] = Counter()
    for service in services().values():
        for spec in service.get("ports", []):
            published.update(host_ports(str(spec)))
    assert published
    assert [port for port, n in published.items() if n > 1] == []


def test_named_volumes_are_declared_and_recordings_are_shared() -> None:
    declared = set(compose().get("volumes") or {})
    users: dict[str, set[str]] = {}
    for name, service in services().items():
        for mount in service.get("volumes", []):
            source = str(mount).split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, (name, source)
                users.setdefault(source, set()).add(name)
    assert {"asterisk", "app"} <= users["recordings"]
    assert {"asterisk", "asterisk-config"} <= users["asterisk-conf"]


def test_hotline_commands_in_compose_are_accepted_by_the_cli() -> None:
    parser = build_parser()
    commands = [s["command"] for s in services().values() if str(s.get("command", [""])[0]) == "hotline"]
    assert commands
    for command in commands:
        parser.parse_args(command[1:])


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_starts_with_from_and_uses_known_instructions(dockerfile: Path) -> None:
    found = list(instructions(dockerfile))
    assert found[0][0] == "FROM"
    assert {keyword for keyword, _ in found} <= KNOWN_INSTRUCTIONS


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_copy_sources_exist_in_the_build_context(dockerfile: Path) -> None:
    for keyword, args in instructions(dockerfile):
        if keyword not in ("COPY", "ADD") or "--from=" in args:
            continue
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        for source in words[:-1]:
            assert (REPO_ROOT / source).exists(), f"{dockerfile.name}: {source}"


def test_app_image_runs_the_centre_as_a_non_root_user() -> None:
    found = dict(instructions(DOCKER_DIR / "Dockerfile.app"))
    assert found["FROM"] == "python:3.11-slim"
    assert found["USER"] not in ("", "root", "0")
    assert set(found["EXPOSE"].split()) == {"8080", "4573"}
    cmd = exec_form(found["CMD"])
    assert cmd[0] == "hotline"
    assert build_parser().parse_args(cmd[1:]).no_sandbox is True
    env_args = [args for keyword, args in instructions(DOCKER_DIR / "Dockerfile.app") if keyword == "ENV"]
    env_keys = {w.split("=", 1)[0] for args in env_args for w in shlex.split(args) if "=" in w}
    assert "HOTLINE_ASTERISK_MODE" in env_keys
    known = (
        SETTINGS_ENV
        | {"HOTLINE_TRUNKS_FILE"}
        | {f"HOTLINE_KAMAILIO_{n.upper()}" for n in KamailioSettings.model_fields}
    )
    assert {k for k in env_keys if k.startswith("HOTLINE_")} <= known


def test_asterisk_image_installs_asterisk_from_sid_and_runs_it_in_the_foreground() -> None:
    found = dict(instructions(DOCKER_DIR / "Dockerfile.asterisk"))
    assert found["FROM"] == "debian:sid-slim"
    for package in (
        "asterisk",
        "asterisk-modules",
        "asterisk-core-sounds-en-wav",
        "asterisk-moh-opsound-wav",
    ):
        assert package in found["RUN"].split()
    entry = " ".join(exec_form(found["ENTRYPOINT"]))
    assert "asterisk -f" in entry
    assert "-C" in entry


def test_app_image_copies_every_python_package_and_can_speak_prompts() -> None:
    """Every package pyproject installs is copied into the app image, and the prompt tools are there."""
    text = (DOCKER_DIR / "Dockerfile.app").read_text()
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    include = pyproject[pyproject.index("include = [") :].split("]", 1)[0]
    packages = [p.strip().strip('"').rstrip("*") for p in include.split("[", 1)[1].split(",") if p.strip()]
    for package in packages:
        if (REPO_ROOT / package / "__init__.py").exists():
            assert f"COPY {package} ./{package}" in text, package
    assert "espeak-ng" in text
    assert "sox" in text


def test_app_image_finds_the_configuration_it_renders_outside_the_installed_package() -> None:
    """The installed package has no asterisk_conf/ or kamailio_conf/ beside it: the image names the copies."""
    env = dict(
        item.split("=", 1)
        for keyword, args in instructions(DOCKER_DIR / "Dockerfile.app")
        if keyword == "ENV"
        for item in shlex.split(args)
    )
    for key, copied in (
        ("HOTLINE_ASTERISK_CONF_SRC", "asterisk_conf"),
        ("HOTLINE_TRUNKS_FILE", "asterisk_conf/trunks.yaml"),
        ("HOTLINE_KAMAILIO_CONF_SRC", "kamailio_conf"),
    ):
        assert env.get(key) == f"/opt/hotline/{copied}", key
        assert (REPO_ROOT / copied).exists()

"""Static checks of docker/compose.cluster.yaml and docker/Dockerfile.kamailio (no Docker engine needed)."""

from __future__ import annotations

import ipaddress
import shlex
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from hotline.cli import build_parser
from hotline.kamailio.settings import KamailioSettings
from hotline.settings import Settings
from hotline.trunks import TrunksSettings
from tests.unit.test_docker_files import (
    DOCKER_DIR,
    INTERPOLATION,
    SETTINGS_ENV,
    environment,
    exec_form,
    host_ports,
    instructions,
)

CLUSTER_FILE = DOCKER_DIR / "compose.cluster.yaml"
NODES = ("asterisk-1", "asterisk-2")
APPS = ("app-1", "app-2")
KAMAILIO_ENV = {f"HOTLINE_KAMAILIO_{name.upper()}" for name in KamailioSettings.model_fields}
TRUNKS_ENV = {f"HOTLINE_{name.upper()}" for name in TrunksSettings.model_fields}


def cluster() -> dict[str, Any]:
    """The parsed cluster compose file."""
    data = yaml.safe_load(CLUSTER_FILE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    """The cluster's services by name."""
    found = cluster()["services"]
    assert isinstance(found, dict)
    return found


def env(name: str) -> dict[str, str]:
    """A service's environment with ``${VAR:-default}`` replaced by its default (or ``x``)."""
    return {
        k: INTERPOLATION.sub(lambda m: m.group(2) or "x", v) for k, v in environment(services()[name]).items()
    }


def image_env(service: dict[str, Any]) -> set[str]:
    """The variables the service's own Dockerfile declares with ENV."""
    build = service.get("build")
    if build is None:
        return set()
    dockerfile = (DOCKER_DIR / build["context"]).resolve() / build["dockerfile"]
    args = [a for keyword, a in instructions(dockerfile) if keyword == "ENV"]
    return {w.split("=", 1)[0] for a in args for w in shlex.split(a) if "=" in w}


def settings_of(name: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The app settings a service's environment gives."""
    for key, value in env(name).items():
        monkeypatch.setenv(key, value)
    return Settings()


def address(name: str) -> str:
    """A service's fixed address on the pbx network."""
    return str(services()[name]["networks"]["pbx"]["ipv4_address"])


def test_the_clustered_parts_are_there_with_images_or_builds() -> None:
    found = services()
    assert set(found) == {
        "postgres",
        "redis",
        "kamailio",
        "kamailio-config",
        *NODES,
        *(f"{node}-config" for node in NODES),
        *APPS,
    }
    assert found["redis"]["image"] == "redis:7"
    assert found["postgres"]["image"] == "postgres:15"
    for name, service in found.items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            context = (DOCKER_DIR / service["build"]["context"]).resolve()
            assert (context / service["build"]["dockerfile"]).is_file(), name


def test_depends_on_names_existing_services_in_a_state_they_reach() -> None:
    found = services()
    for name, service in found.items():
        for dep, rule in service.get("depends_on", {}).items():
            assert dep in found, (name, dep)
            assert dep != name
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in found[dep], (name, dep)
            else:
                assert rule["condition"] == "service_completed_successfully", (name, dep)
                assert found[dep]["restart"] == "no", (name, dep)


def test_long_running_services_have_healthchecks_and_one_shots_do_not_restart() -> None:
    for name, service in services().items():
        if name.endswith("-config"):
            assert service["restart"] == "no", name
            continue
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_hotline_keys_are_settings_fields_and_their_values_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, service in services().items():
        keys = {k for k in environment(service) if k.startswith("HOTLINE_")}
        known = SETTINGS_ENV | TRUNKS_ENV | KAMAILIO_ENV | image_env(service)
        assert keys <= known, (name, keys - known)
        with monkeypatch.context() as patch:
            settings_of(name, patch).ami_node_list()
            KamailioSettings()
            TrunksSettings()


def test_ami_nodes_name_the_asterisk_services_at_their_ami_port(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*APPS, "kamailio-config"):
        with monkeypatch.context() as patch:
            nodes = settings_of(name, patch).ami_node_list()
        assert nodes == [(node, node, 5038) for node in NODES], name
    for node in NODES:
        render = env(f"{node}-config")
        assert render["HOTLINE_ASTERISK_INSTANCE"] == node
        assert render["HOTLINE_AMI_PORT"] == "5038"


def test_each_node_runs_the_config_its_render_service_writes() -> None:
    found = services()
    for node in NODES:
        root = PurePosixPath(env(f"{node}-config")["HOTLINE_ASTERISK_ETC_ROOT"])
        conf = str(root / node / "etc" / "asterisk.conf")
        assert env(node)["HOTLINE_ASTERISK_CONF"] == conf
        assert conf in found[node]["healthcheck"]["test"]
        volume = f"{node}-conf:{root}"
        assert volume in found[node]["volumes"]
        assert volume in found[f"{node}-config"]["volumes"]
        assert f"recordings:{root / node / 'spool' / 'monitor'}" in found[node]["volumes"]


def test_apps_share_redis_database_and_relay_secret_and_accept_fastagi_from_both_nodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shared = ("HOTLINE_REDIS_URL", "HOTLINE_REDIS_PREFIX", "HOTLINE_DATABASE_URL", "HOTLINE_RELAY_SECRET")
    first, second = (env(app) for app in APPS)
    assert {k: first[k] for k in shared} == {k: second[k] for k in shared}
    assert "@redis:6379/" in first["HOTLINE_REDIS_URL"]
    assert "@postgres:5432/" in first["HOTLINE_DATABASE_URL"]
    assert environment(services()["app-1"])["HOTLINE_RELAY_SECRET"].startswith("${HOTLINE_RELAY_SECRET:?")
    for app in APPS:
        assert env(app)["HOTLINE_FASTAGI_HOST"] == "0.0.0.0"
        with monkeypatch.context() as patch:
            peers = settings_of(app, patch).fastagi_peers()
        assert set(NODES) <= set(peers), app
    targets = {env(f"{node}-config")["HOTLINE_FASTAGI_HOST"] for node in NODES}
    assert targets == set(APPS)


def test_nodes_trust_kamailio_at_its_fixed_address_and_kamailio_publishes_sip_and_websocket() -> None:
    found = services()
    subnet = ipaddress.ip_network(cluster()["networks"]["pbx"]["ipam"]["config"][0]["subnet"])
    fixed = [address(name) for name in ("kamailio", *NODES)]
    assert len(set(fixed)) == len(fixed)
    assert all(ipaddress.ip_address(a) in subnet for a in fixed)
    render = env("kamailio-config")
    for name in ("kamailio-config", *(f"{node}-config" for node in NODES)):
        assert env(name)["HOTLINE_KAMAILIO_BIND_ADDRESS"] == address("kamailio"), name
        assert env(name)["HOTLINE_KAMAILIO_SIP_PORT"] == render["HOTLINE_SIP_PORT"] == "5060", name
    published: set[tuple[int, str]] = set()
    for spec in found["kamailio"]["ports"]:
        published |= host_ports(str(spec))
    ws = int(render["HOTLINE_KAMAILIO_WS_PORT"])
    assert {(5060, "udp"), (5060, "tcp"), (ws, "tcp")} <= published
    for app in APPS:
        assert env(app)["HOTLINE_SIP_WS_URL"].endswith(f":{ws}")


def test_kamailio_runs_the_config_kamailio_config_renders() -> None:
    found = services()
    root = PurePosixPath(env("kamailio-config")["HOTLINE_ASTERISK_ETC_ROOT"])
    instance = root / "kamailio" / KamailioSettings().name
    assert f"kamailio-conf:{root}" in found["kamailio"]["volumes"]
    assert f"kamailio-conf:{root}" in found["kamailio-config"]["volumes"]
    assert f"unix:{instance / 'run' / 'kamailio_ctl'}" in found["kamailio"]["healthcheck"]["test"]
    dockerfile = dict(instructions(DOCKER_DIR / "Dockerfile.kamailio"))
    assert f"KAMAILIO_INSTANCE_DIR={instance}" in shlex.split(dockerfile["ENV"])
    assert Path(DOCKER_DIR.parent / "kamailio_conf").is_dir()
    assert "COPY kamailio_conf ./kamailio_conf" in (DOCKER_DIR / "Dockerfile.app").read_text()
    assert env("kamailio-config")["HOTLINE_KAMAILIO_CONF_SRC"] == "/opt/hotline/kamailio_conf"


def test_published_host_ports_do_not_collide() -> None:
    published: Counter[tuple[int, str]] = Counter()
    for service in services().values():
        for spec in service.get("ports", []):
            published.update(host_ports(str(spec)))
    assert [port for port, n in published.items() if n > 1] == []


def test_named_volumes_are_declared_and_recordings_are_shared() -> None:
    declared = set(cluster()["volumes"])
    users: dict[str, set[str]] = {}
    for name, service in services().items():
        for mount in service.get("volumes", []):
            source = str(mount).split(":", 1)[0]
            assert source in declared, (name, source)
            users.setdefault(source, set()).add(name)
    assert {*NODES, *APPS} <= users["recordings"]
    assert set(declared) == set(users)


def test_hotline_commands_in_the_cluster_file_are_accepted_by_the_cli() -> None:
    parser = build_parser()
    commands = [s["command"] for s in services().values() if str(s.get("command", [""])[0]) == "hotline"]
    assert len(commands) == 3
    for command in commands:
        parser.parse_args(command[1:])


def test_kamailio_image_installs_kamailio_from_bookworm_and_runs_it_in_the_foreground() -> None:
    found = dict(instructions(DOCKER_DIR / "Dockerfile.kamailio"))
    assert found["FROM"] == "debian:bookworm-slim"
    for package in ("kamailio", "kamailio-websocket-modules", "kamailio-tls-modules"):
        assert package in found["RUN"].split()
    entry = " ".join(exec_form(found["ENTRYPOINT"]))
    assert "kamailio -DD -E -f" in entry
    assert set(found["EXPOSE"].split()) == {"5060/udp", "5060/tcp", "5066/tcp"}

"""The sandbox TURN server (``HOTLINE_TURN_*`` variables) and the ICE servers browser phones are given."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.settings import Settings
from hotline.turn.config import TurnConfig
from hotline.turn.credentials import IceServers
from hotline.turn.process import SECRET_FILE, TurnServer

__all__ = ["TurnSettings", "ice_servers_from_settings", "sandbox_turn_server"]


class TurnSettings(BaseSettings):
    """Where ``hotline turn up`` listens and relays; ``allowed_peers`` are the Asterisk RTP hosts."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_TURN_", extra="ignore")

    name: str = "turn"
    listen_address: str = "127.0.0.1"
    port: int = 3478
    relay_min_port: int = 49160
    relay_max_port: int = 49359
    realm: str = "hotline.local"
    external_ip: str = ""
    allowed_peers: str = ""

    def config(self) -> TurnConfig:
        """The coturn instance these settings describe."""
        return TurnConfig(
            name=self.name,
            listen_address=self.listen_address,
            port=self.port,
            relay_min_port=self.relay_min_port,
            relay_max_port=self.relay_max_port,
            realm=self.realm,
            external_ip=self.external_ip,
            allowed_peers=_items(self.allowed_peers),
        )


def sandbox_turn_server(settings: Settings, turn: TurnSettings | None = None) -> TurnServer:
    """The project's own coturn, its files under the state directory."""
    return TurnServer(config=(turn or TurnSettings()).config(), state_dir=settings.state_dir)


def ice_servers_from_settings(settings: Settings) -> IceServers:
    """The centre's ICE servers: an external TURN (``HOTLINE_TURN_URLS`` + ``HOTLINE_TURN_SECRET``) if
    configured, else the sandbox coturn once ``hotline turn up`` has set it up, plus ``HOTLINE_STUN_URLS``."""
    stun = _items(settings.stun_urls)
    ttl = settings.turn_credential_ttl_seconds
    if settings.turn_urls:
        secret = settings.turn_secret.get_secret_value()
        return IceServers(stun_urls=stun, turn_urls=_items(settings.turn_urls), secret=secret, ttl_s=ttl)
    server = sandbox_turn_server(settings)
    if settings.asterisk_mode == "sandbox" and (server.state / SECRET_FILE).is_file():
        own = server.ice_servers(ttl_s=ttl)
        return IceServers(
            stun_urls=[*stun, *own.stun_urls], turn_urls=own.turn_urls, secret=own.secret, ttl_s=ttl
        )
    return IceServers(stun_urls=stun)


def _items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())

"""Log the bot in once and keep one device across restarts.

The first start logs in with the password and stores the device id and access
token, sealed, in the vault. Later starts restore that login, so the crypto
store and the device the participants' clients trust stay the same.
"""

from __future__ import annotations

from nio import AsyncClient, AsyncClientConfig, LoginResponse

from bot.config import GatewayConfig, read_secret
from bot.state.gateway_state import GatewayState, Login
from bot.transports.matrix.calls import checked
from bot.transports.matrix.sealed_store import SealedSnapshots, sealed_store_class


def new_client(config: GatewayConfig, snapshots: SealedSnapshots) -> AsyncClient:
    config.nio_store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    client_config = AsyncClientConfig(
        store=sealed_store_class(snapshots),
        store_name="bot-crypto.db",
        pickle_key=config.pickle_key,
        encryption_enabled=True,
        store_sync_tokens=False,
        request_timeout=30,
        max_timeouts=None,
        backoff_factor=0.2,
        max_timeout_retry_wait_time=10,
    )
    return AsyncClient(
        config.matrix.homeserver_url,
        config.matrix.bot_user_id,
        store_path=str(config.nio_store_dir),
        config=client_config,
    )


async def login(client: AsyncClient, config: GatewayConfig, state: GatewayState) -> Login:
    stored = state.login()
    if stored is not None:
        client.restore_login(stored.user_id, stored.device_id, stored.access_token)
        return stored
    password = bot_password(config)
    response = checked(
        "login", await client.login(password=password, device_name=config.matrix.device_name)
    )
    assert isinstance(response, LoginResponse)
    fresh = Login(response.user_id, response.device_id, response.access_token)
    state.save_login(fresh)
    return fresh


def bot_password(config: GatewayConfig) -> str:
    return read_secret("SAMTAL_BOT_PASSWORD", config.matrix.bot_password_file)

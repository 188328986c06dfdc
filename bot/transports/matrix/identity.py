"""The bot's own cross-signing identity: made once, kept sealed, used on every start.

Element shows a device its owner has not cross-signed as insecure and, in its
"exclude insecure devices" mode, neither reads it nor sends it keys. So the bot
publishes master, self-signing and user-signing keys once, keeps their private
seeds sealed in the vault, and signs whichever device it is logged in on.
"""

from __future__ import annotations

from collections.abc import Callable

from nio import AsyncClient

from bot import logs
from bot.core.cross_signing import (
    MASTER,
    SELF_SIGNING,
    Seeds,
    device_signature_upload,
    device_signing_upload,
    public_key,
    single_key,
    verify,
)
from bot.state.gateway_state import GatewayState
from bot.transports.matrix.calls import checked
from bot.transports.matrix.keys_api import KeysApi


async def ensure_identity(
    client: AsyncClient, api: KeysApi, state: GatewayState, password: Callable[[], str]
) -> Seeds | None:
    """Publish the sealed identity if needed and sign this device with it.

    Returns the identity in use, or None when the homeserver holds another one:
    that is left in place, with a warning, for an operator to resolve.
    """
    user_id = str(client.user_id)
    device_id = str(client.device_id)
    if client.should_upload_keys:  # a fresh login: the device must be published first
        checked("keys_upload", await client.keys_upload())
    published = await api.query([user_id])
    server_master = single_key((published.get("master_keys") or {}).get(user_id), user_id, MASTER)
    seeds = state.cross_signing_seeds()
    if seeds is None:
        if server_master is not None:
            logs.warning("cross_signing_identity_not_ours", action="left_in_place")
            return None
        seeds = Seeds.generate()
        # Sealed before it is published: a crash in between publishes the same keys later.
        state.save_cross_signing_seeds(seeds)
    master = public_key(seeds.master)
    if server_master is None:
        await api.upload_signing_keys(device_signing_upload(user_id, seeds), password)
        logs.event("cross_signing_published")
        published = await api.query([user_id])
    elif server_master != master:
        logs.warning("cross_signing_master_mismatch", action="left_in_place")
        return None
    ssk = public_key(seeds.self_signing)
    ssk_obj = (published.get("self_signing_keys") or {}).get(user_id)
    if single_key(ssk_obj, user_id, SELF_SIGNING) != ssk or not verify(ssk_obj, user_id, master):
        logs.warning("cross_signing_self_signing_mismatch", action="left_in_place")
        return None
    device = ((published.get("device_keys") or {}).get(user_id) or {}).get(device_id)
    if device is None:
        logs.warning("cross_signing_device_unpublished")
        return seeds
    if verify(device, user_id, ssk):
        logs.event("cross_signing_device_already_signed")
        return seeds
    await api.upload_signatures(device_signature_upload(user_id, device, seeds.self_signing))
    logs.event("cross_signing_device_signed")
    return seeds

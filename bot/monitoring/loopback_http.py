"""Starting a small HTTP server on a loopback address (the console, monitoring).

Stopping waits at most SHUTDOWN_SECONDS for requests in progress: aiohttp's own
default is 60 s, and a client that announces a request and never sends it would
hold up every stop of the gateway that long.
"""

from __future__ import annotations

from aiohttp import web

SHUTDOWN_SECONDS = 5.0


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host``; port 0 lets the system choose a free one. Returns
    the runner (to stop it) and the port bound."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, int(runner.addresses[0][1])

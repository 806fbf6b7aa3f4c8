"""An aiohttp server on 127.0.0.1 with an OS-chosen port (or one given): what every fake shares."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web


class LoopbackServer:
    """Start with ``async with`` (or ``start()``/``stop()``); subclasses add routes."""

    scheme = "http"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._root: str | None = None

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def _before_stop(self) -> None:
        """Close what the subclass keeps open (e.g. websockets) before the server goes."""

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application()
        self._routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._root = f"{self.scheme}://{host}:{port}"

    async def stop(self) -> None:
        await self._before_stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

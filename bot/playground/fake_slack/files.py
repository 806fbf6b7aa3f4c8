"""files.*: the two-step upload (files_upload_v2), with the upload URL it hands out.

files.getUploadURLExternal announces a file and answers an upload URL on this
server; the bytes POSTed there are kept; files.completeUploadExternal shares them,
as a message in ``channel_id`` when one is given.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

from bot.playground.fake_slack.core import WebApiCore


class FileMethods(WebApiCore):
    """files.getUploadURLExternal, the upload URL, files.completeUploadExternal."""

    def _routes(self, app: web.Application) -> None:
        super()._routes(app)
        app.router.add_route("POST", "/upload/{file_id}", self._handle_upload)

    def uploaded(self, file_id: str) -> bytes:
        """The bytes uploaded to ``file_id``'s upload URL (b"" when none arrived)."""
        return bytes(self._files.get(file_id, {}).get("content") or b"")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL ``files.getUploadURLExternal`` handed out: the file's bytes as
        the body (``files_upload_v2`` posts them raw), recorded as method ``"upload"``."""
        file_id = request.match_info["file_id"]
        content = await request.read()
        announced = self._files.get(file_id)
        args: dict[str, Any] = {"file_id": file_id, "content": content}
        injected = self._injected_failure("upload", None)
        if injected is not None:
            status, body, _ = injected
        elif announced is None or announced.get("content") is not None:
            status, body = 404, {"ok": False, "error": "invalid_upload_url"}
        else:
            announced["content"] = content
            status, body = 200, {"ok": True}
        await self._record_call(request, "upload", args, None, status, body)
        return web.Response(status=status, text=f"OK - {len(content)}" if status == 200 else "")

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        length = str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self._files) + 1:08d}"
        self._files[file_id] = {
            "filename": filename,
            "length": int(length),
            "alt_txt": args.get("alt_txt"),
            "content": None,
        }
        return {"ok": True, "upload_url": f"{self.base_root}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if isinstance(files, str):
            with contextlib.suppress(ValueError):
                files = json.loads(files)
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        shared: list[dict[str, Any]] = []
        for entry in files:
            file_id = str(entry.get("id") if isinstance(entry, dict) else "")
            announced = self._files.get(file_id)
            if announced is None or announced.get("content") is None:
                return {"ok": False, "error": "file_not_found"}
            if len(announced["content"]) != announced["length"]:
                return {"ok": False, "error": "file_upload_size_mismatch"}
            shared.append(
                {
                    "id": file_id,
                    "name": announced["filename"],
                    "title": entry.get("title") or announced["filename"],
                    "size": announced["length"],
                    "alt_txt": announced["alt_txt"],
                }
            )
        channel = args.get("channel_id")
        if channel:
            ts = self._next_ts()
            conversation = self._channel(str(channel))
            self._messages.setdefault(conversation, []).append(
                {"type": "message", "ts": ts, "user": self.bot_user_id, "files": shared}
            )
        return {"ok": True, "files": shared}

"""files.*: the two-step upload (files_upload_v2), with the upload URL it hands out, and
files a person shares with the bot (files.info, and their private download link).

files.getUploadURLExternal announces a file and answers an upload URL on this
server; the bytes POSTed there are kept; files.completeUploadExternal shares them,
as a message in ``channel_id`` when one is given.

:meth:`FileMethods.share_file` keeps a file a person shares (a test then sends the
``message`` event that carries it); files.info describes it with its
``url_private_download`` on this server, which serves the bytes to a request carrying
a bot token (``Authorization: Bearer``) and, as Slack does, a sign-in page (HTML) to
one without. Downloads are recorded as method ``"download"``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.playground.fake_slack.core import WebApiCore


class FileMethods(WebApiCore):
    """files.getUploadURLExternal, the upload URL, files.completeUploadExternal; files a
    person shares, files.info and their download link."""

    def _routes(self, app: web.Application) -> None:
        super()._routes(app)
        app.router.add_route("POST", "/upload/{file_id}", self._handle_upload)
        app.router.add_route("GET", "/files-pri/{file_id}/download/{name}", self._handle_download)

    def share_file(
        self, user: str, name: str, content: bytes, *, filetype: str = "yaml"
    ) -> dict[str, Any]:
        """Keep a file ``user`` shares; the file object a ``message`` event carries."""
        file_id = f"F{len(self._files) + 1:08d}"
        self._files[file_id] = {
            "filename": name,
            "length": len(content),
            "alt_txt": None,
            "content": content,
            "user": user,
            "filetype": filetype,
        }
        return self._file_object(file_id)

    def _file_object(self, file_id: str) -> dict[str, Any]:
        kept = self._files[file_id]
        name = str(kept["filename"])
        url = f"{self.base_root}/files-pri/{file_id}/download/{quote(name)}"
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": "text/plain",
            "filetype": kept.get("filetype") or "text",
            "user": kept.get("user") or self.bot_user_id,
            "size": kept["length"],
            "mode": "hosted",
            "is_external": False,
            "url_private": url,
            "url_private_download": url,
        }

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = str(args.get("file") or "")
        kept = self._files.get(file_id)
        if kept is None or kept.get("content") is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": self._file_object(file_id), "comments": [], "paging": {}}

    async def _handle_download(self, request: web.Request) -> web.Response:
        """A file's private download link: its bytes for a bot token, else a sign-in page."""
        file_id = request.match_info["file_id"]
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        kept = self._files.get(file_id)
        args: dict[str, Any] = {"file_id": file_id}
        injected = self._injected_failure("download", None)
        if injected is not None:
            status, body, _ = injected
            await self._record_call(request, "download", args, token, status, body)
            return web.Response(status=status, text="")
        if kept is None or kept.get("content") is None:
            await self._record_call(request, "download", args, token, 404, {"ok": False})
            return web.Response(status=404, text="")
        if not token or not token.startswith("xoxb-") or self._token_error("files.info", token):
            await self._record_call(request, "download", args, token, 200, {"ok": False})
            return web.Response(
                status=200, text="<html><body>Sign in</body></html>", content_type="text/html"
            )
        await self._record_call(request, "download", args, token, 200, {"ok": True})
        return web.Response(body=bytes(kept["content"]), content_type="application/octet-stream")

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

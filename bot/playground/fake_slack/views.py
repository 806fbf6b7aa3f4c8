"""views.*: modals opened, pushed and updated, and Home tabs published."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.playground.fake_slack.core import WebApiCore


class ViewMethods(WebApiCore):
    """views.open, views.push, views.update (by ID or external ID), views.publish."""

    def _next_view_id(self) -> str:
        self._view_counter += 1
        return f"V{self._view_counter:010d}"

    def _view_answer(self, args: Mapping[str, Any], view_id: str, home: bool) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, Mapping):
            return {"ok": False, "error": "invalid_arguments"}
        external_id = str(view.get("external_id", ""))
        if external_id:
            self._views_by_external_id[external_id] = view_id
        return {
            "ok": True,
            "view": {
                "id": view_id,
                "team_id": self.team_id,
                "type": view.get("type", "home" if home else "modal"),
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "state": {"values": {}},
                "hash": f"1700000000.{view_id}",
                "title": view.get("title"),
                "clear_on_close": bool(view.get("clear_on_close", False)),
                "notify_on_close": bool(view.get("notify_on_close", False)),
                "close": view.get("close"),
                "submit": view.get("submit"),
                "previous_view_id": None,
                "root_view_id": view_id,
                "app_id": self.app_id,
                "external_id": external_id,
                "app_installed_team_id": self.team_id,
                "bot_id": self.bot_id,
            },
        }

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id") and not args.get("interactivity_pointer"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view_answer(args, self._next_view_id(), home=False)

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._m_views_open(args)

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = self._views_by_external_id.get(str(args["external_id"]))
            if view_id is None:
                return {"ok": False, "error": "not_found"}
        if not view_id:
            return {"ok": False, "error": "invalid_arguments"}
        return self._view_answer(args, str(view_id), home=False)

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view_answer(args, self._next_view_id(), home=True)

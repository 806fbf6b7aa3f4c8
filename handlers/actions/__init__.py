"""Button clicks (``block_actions``), one module per feature; ``register`` only wires."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import ids
from bot.blocks.support import SUPPORT_BUTTONS
from handlers.actions import (
    activation,
    audit,
    cancellation,
    catalog,
    cloud,
    home,
    idle,
    keys,
    offboarding,
    picker,
    reminders,
    requests,
    setup,
    support,
)
from handlers.receipts import receipted


def register(app: AsyncApp) -> None:
    app.action(ids.APPROVE)(receipted("approve", requests.approve, unread=("message",)))
    app.action(ids.DENY)(requests.deny)
    app.action(ids.DETAILS)(catalog.details)
    app.action(ids.LIST_PREVIOUS)(catalog.list_page_turned)
    app.action(ids.LIST_NEXT)(catalog.list_page_turned)
    app.action(ids.DETAILS_HOLDERS_PREVIOUS)(catalog.holders_page_turned)
    app.action(ids.DETAILS_HOLDERS_NEXT)(catalog.holders_page_turned)
    app.action(ids.CLOUD_ACTIVATE)(cloud.activate)
    app.action(ids.AZURE_PORTAL)(cloud.portal_link)
    app.action(ids.CANCEL_REQUEST)(cancellation.request_cancellation)
    app.action(ids.AUDIT_PREVIOUS)(audit.audit_page_turned)
    app.action(ids.AUDIT_NEXT)(audit.audit_page_turned)
    app.action(ids.KEYS_BUTTON)(keys.get_keys)
    app.action(ids.KEYS_PREVIOUS)(keys.keys_page_turned)
    app.action(ids.KEYS_NEXT)(keys.keys_page_turned)
    app.action(ids.ACTIVATE)(activation.activate)
    app.action(ids.MARK_ACTIVE)(activation.mark_active)
    for action_id in SUPPORT_BUTTONS.values():
        app.action(action_id)(support.problem_chosen)
    app.action(ids.REMINDER_LINK)(reminders.link_opened)
    app.action(ids.OFFBOARD_RECLAIM_ALL)(offboarding.reclaim_all)
    app.action(ids.OFFBOARD_KEEP)(offboarding.keep)
    app.action(ids.OFFBOARD_RECLAIM_ITEM)(offboarding.reclaim_item)
    app.action(ids.SEAT_KEEP)(idle.keep_seat)
    app.action(ids.SEAT_FREE)(idle.free_seat)
    app.action(ids.IDLE_FREE)(idle.free_idle_seat)
    app.action(ids.HOME_PREVIOUS)(home.home_page_turned)
    app.action(ids.HOME_NEXT)(home.home_page_turned)
    for action_id in ids.HOME_ROLE_ACTIONS.values():
        app.action(action_id)(home.role_action)
    app.action(ids.WITHDRAW)(home.withdraw)
    app.action(ids.REQUEST_FORM_BUTTON)(picker.open_request_form)
    for action_id in (ids.SETUP_CHANNEL, ids.SETUP_MEMBERSHIP, ids.SETUP_INVENTORY):
        app.action(action_id)(setup.setup_step)

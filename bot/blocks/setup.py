"""Setting the bot up from Slack: the Global admins' checklist on the Home, the admin
channel modal, how to enter the membership and import the inventory, the installer's
welcome and the reply to an inventory file shared in a DM."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.blocks import ids
from bot.blocks.primitives import (
    MODAL_TITLE_LIMIT,
    Block,
    Message,
    actions,
    button,
    clip,
    context,
    escape,
    mention,
    plain,
    posted,
    section,
)
from bot.domain.outbox import ParamValue
from bot.i18n.translate import t
from bot.services.home import SetupState
from bot.services.setup import AdminChannelChoice, UploadOutcome

SETTING: Final = "BENEFITS_ADMIN_CHANNEL"
MEMBERSHIP_EXAMPLE: Final = """membership:
  level: gold
  purchase_date: 2026-03-01
  end_date: 2027-02-28
  account_email: partners@example.com
  managed_in_pmc: false
benefits: []"""
PROBLEM_SHOWN: Final = 1500


def _done(ok: bool) -> str:
    return ":white_check_mark:" if ok else ":white_circle:"


def checklist(setup: SetupState) -> list[Block]:
    """The steps of setting up, each with what opens it; shown until all are done."""
    steps = sum((bool(setup.admin_channel), setup.membership, setup.benefits > 0))
    blocks: list[Block] = [
        section(f"*{t('Setting up')}* ({t('{done} of {steps} done', done=steps, steps=3)})")
    ]
    if setup.channel_configured and setup.admin_channel:
        blocks.append(
            section(
                _done(True)
                + " "
                + t(
                    "Admin channel: <#{channel}>, set by the operator ({setting}).",
                    channel=setup.admin_channel,
                    setting=SETTING,
                )
            )
        )
    else:
        line = (
            t("Admin channel: <#{channel}>.", channel=setup.admin_channel)
            if setup.admin_channel
            else t(
                "Choose the admin channel, where approval requests and admin notices go. "
                "Until then each Global admin gets them by DM."
            )
        )
        blocks.append(
            section(
                f"{_done(bool(setup.admin_channel))} {line}",
                accessory=button(
                    t("Choose a channel"), action_id=ids.SETUP_CHANNEL, value="channel"
                ),
            )
        )
    membership = (
        t("Membership details are recorded.")
        if setup.membership
        else t(
            "Enter the membership details: level, dates, account email and whether it is "
            "managed in the Partner Membership Center (PMC)."
        )
    )
    blocks.append(
        section(
            f"{_done(setup.membership)} {membership}",
            accessory=button(t("How"), action_id=ids.SETUP_MEMBERSHIP, value="membership"),
        )
    )
    inventory = (
        t("Inventory imported: {count} benefits.", count=setup.benefits)
        if setup.benefits
        else t("Import the inventory: share the inventory file with me in a DM.")
    )
    blocks.append(
        section(
            f"{_done(setup.benefits > 0)} {inventory}",
            accessory=button(t("How"), action_id=ids.SETUP_INVENTORY, value="inventory"),
        )
    )
    return blocks


def setup_buttons() -> Block:
    """Once set up: the admin channel and a new inventory are a click away still."""
    return actions(
        [
            button(t("Admin channel"), action_id=ids.SETUP_CHANNEL, value="channel"),
            button(t("Import the inventory"), action_id=ids.SETUP_INVENTORY, value="inventory"),
        ],
        block_id="home_setup",
    )


def admin_channel_view(choice: AdminChannelChoice) -> Block:
    """The modal that chooses the admin channel (none: each Global admin by DM)."""
    element: Block = {
        "type": "conversations_select",
        "action_id": ids.SETUP_CHANNEL_INPUT,
        "placeholder": plain(t("Pick a channel"), 150),
        "filter": {
            "include": ["public", "private"],
            "exclude_bot_users": True,
            "exclude_external_shared_channels": True,
        },
    }
    if choice.chosen:
        element["initial_conversation"] = choice.chosen
    blocks: list[Block] = [
        section(
            t(
                "Approval requests and admin notices go to this channel. I must be a member "
                "to post there: in the channel, type `/invite @benefits` first. Leave it "
                "empty to send them to each Global admin by DM."
            )
        )
    ]
    if choice.configured:
        blocks.append(
            context(
                t(
                    ":information_source: The operator set {setting} to <#{channel}>: it wins "
                    "over the channel chosen here until they unset it.",
                    setting=SETTING,
                    channel=choice.configured,
                )
            )
        )
    blocks.append(
        {
            "type": "input",
            "block_id": ids.SETUP_CHANNEL_BLOCK,
            "optional": True,
            "label": plain(t("Admin channel"), 2000),
            "element": element,
        }
    )
    return {
        "type": "modal",
        "callback_id": ids.SETUP_VIEW,
        "title": plain(t("Admin channel"), MODAL_TITLE_LIMIT),
        "submit": plain(t("Save"), MODAL_TITLE_LIMIT),
        "close": plain(t("Cancel"), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def admin_channel_saved_text(choice: AdminChannelChoice) -> str:
    if choice.chosen is None:
        text = t(
            "No admin channel: approval requests and admin notices go to each Global admin by DM."
        )
    else:
        text = t(
            "Approval requests and admin notices now go to <#{channel}>.", channel=choice.chosen
        )
    if choice.configured:
        text += " " + t(
            "For now {setting} (<#{channel}>) wins: the operator set it.",
            setting=SETTING,
            channel=choice.configured,
        )
    return text


def channel_chosen_message(actor: str) -> Message:
    """Posted in the chosen channel: the check that the bot can post, and a hello."""
    text = t(
        ":wave: {user} chose this channel for the benefits bot: approval requests and admin "
        "notices will be posted here.",
        user=mention(actor),
    )
    return posted(text, [section(text)])


def _help_view(title: str, blocks: list[Block]) -> Block:
    return {
        "type": "modal",
        "callback_id": ids.SETUP_HELP_VIEW,
        "title": plain(title, MODAL_TITLE_LIMIT),
        "close": plain(t("Close"), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def membership_help_view() -> Block:
    """How the membership is entered: the ``membership`` section of the inventory file."""
    return _help_view(
        t("Membership"),
        [
            section(
                t(
                    "The membership details are the `membership` section of the inventory "
                    "file: the level, the purchase and end dates, the company's account email "
                    "and whether the membership is managed in the Partner Membership Center "
                    "(PMC). Write them like this, then share the file with me in a DM:"
                )
            ),
            section(f"```{MEMBERSHIP_EXAMPLE}```"),
            context(t("docs/inventory.md describes every field.")),
        ],
    )


def inventory_help_view(limit_mb: int) -> Block:
    """How the inventory is imported from Slack."""
    return _help_view(
        t("Inventory"),
        [
            section(
                t(
                    "Share the inventory file (YAML, at most {limit} MB) with me in a DM: open "
                    "*Messages* in this app and drop the file there. I check it as "
                    "`benefits-bot import` does and import all of it, or nothing when a line "
                    "is wrong; I reply with what changed or what to fix.",
                    limit=limit_mb,
                )
            ),
            context(
                t(
                    "Sharing it again later updates the benefits in place; a file already "
                    "imported is not imported twice. docs/inventory.md describes the format."
                )
            ),
        ],
    )


def welcome_message() -> Message:
    """The DM to the installer who became the first Global admin."""
    text = t(
        ":wave: Thanks for installing the benefits bot. You are its first Global admin. "
        "Open my *Home* tab to set it up: choose the admin channel, then share the "
        "inventory file (with the membership details) with me here, in this DM."
    )
    return posted(text, [section(text)])


def _count(params: Mapping[str, ParamValue], name: str) -> int:
    value = params.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def upload_reply(params: Mapping[str, ParamValue]) -> Message:
    """The reply to a file shared in a DM, from the params it was queued with."""
    outcome = str(params.get("outcome") or "")
    name = escape(clip(str(params.get("file") or ""), 200), multiline=False)
    problem = escape(clip(str(params.get("problem") or ""), PROBLEM_SHOWN))
    extra: list[Block] = []
    if outcome == UploadOutcome.IMPORTED:
        text = t(
            ":white_check_mark: Imported *{file}*: {created} benefits added, {updated} "
            "updated, {unchanged} unchanged; {assigned} seats assigned ({pending} holders "
            "known by email only); {activations} activations and {keys} benefits' product "
            "keys written.",
            file=name,
            created=_count(params, "created"),
            updated=_count(params, "updated"),
            unchanged=_count(params, "unchanged"),
            assigned=_count(params, "assigned"),
            pending=_count(params, "pending"),
            activations=_count(params, "activations"),
            keys=_count(params, "keys"),
        )
        extra.append(
            context(
                t("The membership details were updated.")
                if params.get("membership") is True
                else t("The membership details were already as in the file.")
            )
        )
    elif outcome == UploadOutcome.REFUSED:
        text = t(
            ":warning: I did not import *{file}*: nothing was changed. Fix this and share "
            "it again:",
            file=name,
        )
        extra.append(section(f"```{problem}```"))
    elif outcome == UploadOutcome.NOT_ADMIN:
        text = t(
            "Thanks, but only a Global admin can import the inventory, so I did nothing "
            "with *{file}*.",
            file=name,
        )
    elif outcome == UploadOutcome.TOO_LARGE:
        text = t(
            ":warning: *{file}* is larger than {limit} MB, so I did not import it: nothing "
            "was changed.",
            file=name,
            limit=_count(params, "limit_mb"),
        )
    elif outcome == UploadOutcome.ALREADY:
        text = t(
            "*{file}* was imported already, so I did not import it again: nothing was "
            "changed. To change the inventory, share an edited file.",
            file=name,
        )
    else:
        text = t(
            ":warning: I could not download *{file}* from Slack, so nothing was imported. "
            "Please share it again.",
            file=name,
        )
        if problem:
            extra.append(context(problem))
    return posted(text, [section(text), *extra])


__all__ = [
    "admin_channel_saved_text",
    "admin_channel_view",
    "channel_chosen_message",
    "checklist",
    "inventory_help_view",
    "membership_help_view",
    "setup_buttons",
    "upload_reply",
    "welcome_message",
]

"""Every Slack identifier the bot renders and listens to, in one place.

Builders and handlers import these names, so a button and its listener cannot
drift apart. ``app.yaml`` declares the command; a test checks that each
declared command and callback has a listener.
"""

from __future__ import annotations

from typing import Final

COMMAND: Final = "/benefits"

# block_actions
APPROVE: Final = "request_approve"
DENY: Final = "request_deny"
DETAILS: Final = "benefit_details"
LIST_PREVIOUS: Final = "benefit_list_previous"
LIST_NEXT: Final = "benefit_list_next"

# views (callback_id) and their inputs
DENY_VIEW: Final = "request_deny_view"
DENY_REASON_BLOCK: Final = "deny_reason"
DENY_REASON_INPUT: Final = "reason"
DETAILS_VIEW: Final = "benefit_details_view"

# message blocks
REQUEST_ACTIONS_BLOCK: Final = "request_actions"
LIST_NAV_BLOCK: Final = "list_nav"

# details: paging its holders; cloud credits; cancellation; the audit log
DETAILS_HOLDERS_PREVIOUS: Final = "details_holders_previous"
DETAILS_HOLDERS_NEXT: Final = "details_holders_next"
DETAILS_ACTIONS_BLOCK: Final = "details_actions"
DETAILS_HOLDERS_NAV_BLOCK: Final = "details_holders_nav"
CLOUD_ACTIVATE: Final = "cloud_activate"
AZURE_PORTAL: Final = "azure_portal_link"
CLOUD_RESULT_VIEW: Final = "cloud_result_view"
CANCEL_REQUEST: Final = "cancellation_request"
CANCEL_ACTIONS_BLOCK: Final = "cancellation_actions"
AUDIT_PREVIOUS: Final = "audit_previous"
AUDIT_NEXT: Final = "audit_next"
AUDIT_NAV_BLOCK: Final = "audit_nav"

# product keys: a button on the details, a modal to pick language and OS, paging
KEYS_BUTTON: Final = "benefit_keys"
KEYS_PREVIOUS: Final = "keys_previous"
KEYS_NEXT: Final = "keys_next"
KEYS_VIEW: Final = "benefit_keys_view"
KEYS_LANGUAGE_BLOCK: Final = "keys_language"
KEYS_LANGUAGE_INPUT: Final = "language"
KEYS_OS_BLOCK: Final = "keys_os"
KEYS_OS_INPUT: Final = "os"
KEYS_RESULT_VIEW: Final = "benefit_keys_result_view"
KEYS_NAV_BLOCK: Final = "keys_nav"

# reminders (bot.blocks.reminders): a link button, e.g. to Partner Center
REMINDER_LINK: Final = "reminder_link"

# technical benefits and go-to-market offers (bot.blocks.activation): Activate and Mark
# active buttons, the Mark active modal, support questions, the marketing contact modal
ACTIVATE: Final = "activation_activate"
MARK_ACTIVE: Final = "activation_mark_active"
ACTIVATION_ACTIONS_BLOCK: Final = "activation_actions"
ACTIVATION_VIEW: Final = "activation_complete_view"
ACCESS_ID_BLOCK: Final = "activation_access_id"
ACCESS_ID_INPUT: Final = "access_id"
CONTRACT_ID_BLOCK: Final = "activation_contract_id"
CONTRACT_ID_INPUT: Final = "contract_id"
EXPIRES_BLOCK: Final = "activation_expires"
EXPIRES_INPUT: Final = "expires_on"
ACTIVATION_DONE_VIEW: Final = "activation_done_view"
SUPPORT_CLOUD: Final = "support_cloud"
SUPPORT_ON_PREMISES: Final = "support_on_premises"
SUPPORT_ADVICE: Final = "support_advice"
SUPPORT_ACTIONS_BLOCK: Final = "support_actions"
CONTACT_VIEW: Final = "marketing_contact_view"
CONTACT_USER_BLOCK: Final = "contact_user"
CONTACT_USER_INPUT: Final = "user"
CONTACT_EMAIL_BLOCK: Final = "contact_email"
CONTACT_EMAIL_INPUT: Final = "email"
CONTACT_PHONE_BLOCK: Final = "contact_phone"
CONTACT_PHONE_INPUT: Final = "phone"
CONTACT_LANGUAGE_BLOCK: Final = "contact_language"
CONTACT_LANGUAGE_INPUT: Final = "language"

# offboarding, idle seats and the digest
OFFBOARD_RECLAIM_ALL: Final = "offboarding_reclaim_all"
OFFBOARD_KEEP: Final = "offboarding_keep"
OFFBOARD_RECLAIM_ITEM: Final = "offboarding_reclaim_item"
OFFBOARD_ACTIONS_BLOCK: Final = "offboarding_actions"
SEAT_KEEP: Final = "seat_check_keep"
SEAT_FREE: Final = "seat_check_free"
SEAT_CHECK_BLOCK: Final = "seat_check_actions"
IDLE_FREE: Final = "idle_seat_free"
# the App Home (bot.blocks.home): paging its lists, withdrawing a request, what a role
# may do; the Request a benefit form (bot.blocks.picker) and its global shortcut
HOME_PREVIOUS: Final = "home_previous"
HOME_NEXT: Final = "home_next"
HOME_ROLE_KEYS: Final = (
    "assign",
    "grant",
    "activate",
    "contact",
    "keys",
    "cancel",
    "adduser",
    "audit",
)
HOME_ROLE_ACTIONS: Final = {key: f"home_role_{key}" for key in HOME_ROLE_KEYS}
"""What a role may do, one button each (action ids are unique within a block)."""
HOME_HELP_VIEW: Final = "home_help_view"  # no submit button: nothing listens
WITHDRAW: Final = "request_withdraw"
REQUEST_FORM_BUTTON: Final = "request_form_open"
REQUEST_SHORTCUT: Final = "request_benefit_shortcut"
REQUEST_VIEW: Final = "request_benefit_view"
REQUEST_BENEFIT_BLOCK: Final = "request_benefit"
REQUEST_BENEFIT_INPUT: Final = "benefit"  # the external_select whose options the bot serves
REQUEST_REASON_BLOCK: Final = "request_reason"
REQUEST_REASON_INPUT: Final = "reason"

# setting up from Slack (bot.blocks.setup): the Home's checklist and the admin channel modal
SETUP_CHANNEL: Final = "setup_admin_channel"
SETUP_MEMBERSHIP: Final = "setup_membership"
SETUP_INVENTORY: Final = "setup_inventory"
SETUP_VIEW: Final = "setup_admin_channel_view"
SETUP_CHANNEL_BLOCK: Final = "setup_channel"
SETUP_CHANNEL_INPUT: Final = "channel"
SETUP_HELP_VIEW: Final = "setup_help_view"  # no submit button: nothing listens

ACTION_IDS: Final = frozenset(
    {APPROVE, DENY, DETAILS, LIST_PREVIOUS, LIST_NEXT, KEYS_BUTTON, KEYS_PREVIOUS, KEYS_NEXT}
    | {DETAILS_HOLDERS_PREVIOUS, DETAILS_HOLDERS_NEXT, CLOUD_ACTIVATE, AZURE_PORTAL}
    | {CANCEL_REQUEST, AUDIT_PREVIOUS, AUDIT_NEXT}
    | {REMINDER_LINK}
    | {ACTIVATE, MARK_ACTIVE, SUPPORT_CLOUD, SUPPORT_ON_PREMISES, SUPPORT_ADVICE}
    | {OFFBOARD_RECLAIM_ALL, OFFBOARD_KEEP, OFFBOARD_RECLAIM_ITEM, SEAT_KEEP, SEAT_FREE, IDLE_FREE}
    | {HOME_PREVIOUS, HOME_NEXT, WITHDRAW, REQUEST_FORM_BUTTON}
    | {SETUP_CHANNEL, SETUP_MEMBERSHIP, SETUP_INVENTORY}
    | frozenset(HOME_ROLE_ACTIONS.values())
)
VIEW_CALLBACK_IDS: Final = frozenset(
    {DENY_VIEW, KEYS_VIEW, ACTIVATION_VIEW, CONTACT_VIEW, REQUEST_VIEW, SETUP_VIEW}
)
SHORTCUT_CALLBACK_IDS: Final = frozenset({REQUEST_SHORTCUT})
OPTIONS_ACTION_IDS: Final = frozenset({REQUEST_BENEFIT_INPUT})

"""`cancel`: can the package still be cancelled with a refund? (The button that files
it is :mod:`handlers.actions.cancellation`.)"""

from __future__ import annotations

from bot.blocks import cancellation as cancellation_blocks
from bot.runtime.container import Services
from handlers.replies import Reply


async def check_cancellation(actor: str, services: Services) -> Reply:
    check = await services.cancellation.cancellation_check(actor)
    return Reply(cancellation_blocks.cancellation_check_message(check))

"""`language [nl|en|auto]`: the language the bot writes to the caller in.

The answer is already in the language chosen: the reader is switched for the
rest of the request once the choice is kept.
"""

from __future__ import annotations

from bot.blocks.language import language_message
from bot.i18n.translate import set_reader
from bot.runtime.container import Services
from handlers.replies import Reply


async def choose_language(choice: str | None, actor: str, services: Services) -> Reply:
    if choice is None:
        chosen = await services.language.chosen(actor)
        return Reply(language_message(chosen, services.language.choices(), changed=False))
    chosen = await services.language.choose(actor, choice)
    services.locales.chose(actor, chosen)
    set_reader(services.locales.for_request(actor))
    return Reply(language_message(chosen, services.language.choices(), changed=True))

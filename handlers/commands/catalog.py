"""`help`, `list [category]` and `mine`: what members browse."""

from __future__ import annotations

from bot.blocks import activation as activation_blocks
from bot.blocks import catalog as catalog_blocks
from bot.blocks.primitives import Message
from bot.domain.activations import ACTIVATED_CATEGORIES
from bot.domain.model import Category
from bot.runtime.container import Services
from handlers.replies import Reply


async def show_help(actor: str, services: Services) -> Reply:
    return Reply(catalog_blocks.help_message(await services.roles.roles_of(actor)))


async def list_benefits(category: Category | None, actor: str, services: Services) -> Reply:
    return Reply(await list_page(category, 0, actor, services))


async def list_page(
    category: Category | None, page: int, actor: str, services: Services
) -> Message:
    """One page of `list`: technical benefits and offers with their status and buttons,
    any other category (or all) with seats left."""
    if category in ACTIVATED_CATEGORIES:
        assert category is not None
        overview = await services.activation.overview(actor, category, page=page)
        return activation_blocks.overview_message(overview)
    listed = await services.catalog.list_benefits(actor, category=category, page=page)
    return services.rendered.list_message(listed, category)


async def show_mine(actor: str, services: Services) -> Reply:
    return Reply(catalog_blocks.mine_message(await services.catalog.mine(actor)))

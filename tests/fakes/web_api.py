"""The fake Web API: it lives in the product, where the playground's workspace builds on it."""

from bot.playground.web_api import RESPONSE_URL, FakeSlackWebApi, RecordedCall

__all__ = ["RESPONSE_URL", "FakeSlackWebApi", "RecordedCall"]

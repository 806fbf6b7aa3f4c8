"""The fake Slack Web API in parts: its core and one mixin per family of methods.

:class:`bot.playground.web_api.FakeSlackWebApi` puts them together; import it from there.
"""

"""The playground: the real bot wired to a stand-in for a Slack workspace, in a web page.

``benefits-bot playground`` starts it (:mod:`bot.playground.run`). The stand-in
(:mod:`bot.playground.workspace`) answers the bot's Web API calls as Slack does,
enforcing Block Kit's limits (:mod:`bot.playground.blockkit`), and sends every
click and submission to the bot signed, as Slack sends them
(:mod:`bot.playground.signing`). The tests' fakes are these same modules.
"""

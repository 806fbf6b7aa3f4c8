"""The use cases of docs/rules.md, one module and one service class per area.

Services take typed inputs, talk to storage through a unit of work, and return
typed results or raise a :class:`bot.domain.model.DomainError` whose message a
person can act on. They import the domain and the storage ports only, never
Slack: :mod:`bot.runtime.bootstrap` builds them and hands them to the listeners.

==================  ==========================================================
``core``            events and their sinks, finding a benefit, permission check,
                    the PMC guard, the audit log entry
``catalog``         the inventory list, a benefit's details, the caller's own
``requests``        requests for a seat: file, approve, deny, their messages
``seats``           assign, unassign, reassign (the Visual Studio 90 days)
``roles``           roles and the directory
``cloud``           usage-based Azure credits a member activates (``credits``:
                    their rules that need storage)
``cancellation``    cancelling the package with a refund
``audit``           the audit log in Slack and as CSV
``activation``      technical benefits and go-to-market offers
``support``         which support answers a problem; advisory hours
``contact``         the marketing contact
``keys``            product keys: the vault and revealing them
``reminders``       the reminders sweep and the event sink: what falls due
``outbox``          the outbox's delivery records: claim, send, retry, park, list
``inventory``       the inventory file: schema, loader and importer
==================  ==========================================================
"""

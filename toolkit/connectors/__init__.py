"""Ticket-system connectors: push a case and its evidence to a team's tracker
(Redmine, Jira, Zendesk, or a plugin's), pull its status back.

``base`` (the contract), ``config`` (the ``connectors:`` settings and the
secrets), ``http`` (streamed, retried requests), ``service`` (push and pull
for a ticket), ``_tickets`` (the adapter to the ticket store), ``builtin``
(the built-in connector declarations), one module per tracker. Imported
lazily by the CLI.
"""

"""The built-in connectors, registered through the same hook as third-party ones.

The default maps follow each tracker's out-of-the-box configuration
(Redmine's default data, Jira's default workflow, Zendesk's fixed ticket
statuses and priorities); a team overrides them key by key in config.yaml.
"""

from __future__ import annotations

from toolkit.connectors.base import ConnectorSpec
from toolkit.plugins import hookimpl

REDMINE = ConnectorSpec(
    name="redmine",
    summary="Redmine REST API: issue, bundle uploads, escalation note, status both ways",
    factory="toolkit.connectors.redmine:RedmineConnector",
    secret_label="Redmine API key",
    defaults={
        "tracker": "Support",
        "priority_map": {"urgent": "Urgent", "high": "High", "medium": "Normal", "low": "Low"},
        "status_map": {"new": "New", "triaged": "New", "in_progress": "In Progress",
                       "waiting_user": "Feedback", "escalated": "In Progress",
                       "resolved": "Resolved", "reopened": "In Progress", "closed": "Closed"},
        "status_from": {"New": "triaged", "In Progress": "in_progress",
                        "Feedback": "waiting_user", "Resolved": "resolved",
                        "Closed": "closed", "Rejected": "closed"},
    })

JIRA = ConnectorSpec(
    name="jira",
    summary="Jira Cloud / Data Center REST v2: issue, attachments, comment, transitions",
    factory="toolkit.connectors.jira:JiraConnector",
    secret_label="Jira API token (Cloud) or personal access token (Data Center)",
    defaults={
        "tracker": "Task",
        "priority_map": {"urgent": "Highest", "high": "High", "medium": "Medium",
                         "low": "Low"},
        "status_map": {"in_progress": "In Progress", "escalated": "In Progress",
                       "resolved": "Done", "closed": "Done", "reopened": "To Do"},
        "status_from": {"To Do": "triaged", "Open": "triaged", "In Progress": "in_progress",
                        "Done": "resolved", "Resolved": "resolved", "Closed": "closed"},
    })

ZENDESK = ConnectorSpec(
    name="zendesk",
    summary="Zendesk Support API: ticket, uploads, private comment with the bundle",
    factory="toolkit.connectors.zendesk:ZendeskConnector",
    secret_label="Zendesk API token",
    needs_user=True,
    defaults={
        "priority_map": {"urgent": "urgent", "high": "high", "medium": "normal", "low": "low"},
        "status_map": {"new": "new", "triaged": "open", "in_progress": "open",
                       "waiting_user": "pending", "escalated": "hold", "resolved": "solved",
                       "reopened": "open", "closed": "solved"},
        "status_from": {"new": "triaged", "open": "in_progress", "pending": "waiting_user",
                        "hold": "escalated", "solved": "resolved", "closed": "closed"},
    })


@hookimpl
def supportkit_connectors() -> list[ConnectorSpec]:
    return [REDMINE, JIRA, ZENDESK]

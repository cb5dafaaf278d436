"""Secrets out, on by default, for everything written into a bundle, and personal
data pseudonymised on request.

``rules`` (what a secret looks like), ``engine`` (the ``Redactor``: lines, blocks,
data, counts, the site rules of config.yaml), ``anonymize`` (consistent pseudonyms
for ``--anonymize``). It sits at the bottom of the stages: collectors redact a log
line before they mask it into a pattern (masking first could split a token so that
no rule knows it), and everything above writes through it.
"""

from __future__ import annotations

from toolkit.redact.engine import ConfigError, Redactor, site_redactor
from toolkit.redact.rules import MARK, RULES, Rule

__all__ = ["MARK", "RULES", "ConfigError", "Redactor", "Rule", "site_redactor"]

"""Playbooks, from YAML to what the runner obeys.

``model`` (the immutable objects), ``loader`` (finding and loading files), ``lint``
(every problem located), ``schema`` (the JSON Schema), ``expr`` (the bounded jinja2
sandbox every expression runs in), ``suggest`` (which playbook fits the words of a
symptom), ``trust`` (which playbooks may run, and which may use collectors that can
do anything).
"""

from __future__ import annotations

from toolkit.playbook.lint import located_problems, problems
from toolkit.playbook.loader import find, load, shipped, user_dir
from toolkit.playbook.model import (
    DEFAULT_TIMEOUT,
    MAX_FILE_BYTES,
    Escalation,
    Input,
    Playbook,
    Step,
    Text,
)

__all__ = ["DEFAULT_TIMEOUT", "MAX_FILE_BYTES", "Escalation", "Input", "Playbook", "Step",
           "Text", "find", "load", "located_problems", "problems", "shipped", "user_dir"]

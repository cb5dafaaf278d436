"""supportkit: guided diagnostic playbooks and verifiable evidence bundles.

Kept import-light on purpose: ``supportkit --help`` must answer fast, so
heavy modules (psutil, jinja2, yaml, jsonschema) are imported where used.
"""

__version__ = "0.1.0"

"""``python -m toolkit``: the same as the ``supportkit`` command.

``python -m`` puts the current folder first on ``sys.path``. Unless toolkit itself
came from there (a source checkout run in place), it is taken off before anything
else is imported, so that a ``json.py`` planted where someone runs ``sudo python -m
toolkit`` is not imported. Python has imported toolkit's package by then: in a
folder you do not trust use the ``supportkit`` command or ``python -I -m toolkit``
(docs/security.md).
"""

import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_cwd = os.getcwd()
if os.path.normcase(_here) != os.path.normcase(_cwd):
    sys.path[:] = [p for p in sys.path
                   if p and os.path.normcase(os.path.abspath(p)) != os.path.normcase(_cwd)]

from toolkit.cli import main  # noqa: E402

raise SystemExit(main())

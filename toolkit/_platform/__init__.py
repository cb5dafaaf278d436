"""Platform facts, chosen once at import (the psutil way).

Collectors and the runner never test ``sys.platform``; they call what this
package exports. A feature a platform lacks is absent (``None`` or an empty
result), not faked.
"""

from __future__ import annotations

import sys

if sys.platform.startswith("linux"):
    from toolkit._platform._linux import *  # noqa: F403
    from toolkit._platform._linux import NAME
elif sys.platform == "darwin":
    from toolkit._platform._darwin import *  # noqa: F403
    from toolkit._platform._darwin import NAME
elif sys.platform == "win32":
    from toolkit._platform._windows import *  # noqa: F403
    from toolkit._platform._windows import NAME
else:  # other POSIX systems get the shared POSIX layer
    from toolkit._platform._posix import *  # noqa: F403

    NAME = sys.platform

__all__ = ["NAME"]

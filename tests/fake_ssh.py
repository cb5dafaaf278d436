"""A stand-in for the ssh client, for the tests that need no root: ``-G`` and ``-O``
answer as ssh does, anything else runs the remote command string with ``sh -c`` on this
machine — as a remote login shell would — with the "remote" TMPDIR, PATH and
SUPPORTKIT_HOME (no ticket store there) from FAKE_SSH_TMPDIR, FAKE_SSH_PATH and
FAKE_SSH_HOME. Every argv is logged to FAKE_SSH_LOG (JSON lines).
Host "down" is refused as a closed port is; host "dropped" loses the connection
during the run (exit 255 after the remote command started)."""

import json
import os
import sys

args = sys.argv[1:]
with open(os.environ["FAKE_SSH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\n")
if "-G" in args:
    print("hostname example\nserveraliveinterval 0")
    raise SystemExit(0)
if "-O" in args:
    raise SystemExit(0)
at = args.index("--")
host, remote = args[at + 1], args[at + 2]
if host.endswith("down"):
    sys.stderr.write("ssh: connect to host 192.0.2.1 port 22: Connection refused\n")
    raise SystemExit(255)
if host.endswith("dropped") and "--out" in remote:
    sys.stderr.write("Timeout, server dropped not responding.\n")
    raise SystemExit(255)
env = {**os.environ, "TMPDIR": os.environ["FAKE_SSH_TMPDIR"],
       "PATH": os.environ["FAKE_SSH_PATH"], "SUPPORTKIT_HOME": os.environ["FAKE_SSH_HOME"]}
os.execvpe("sh", ["sh", "-c", remote], env)

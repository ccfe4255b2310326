"""Leave a daemon behind: fork, setsid() into a session and process group of its own (out of
reach of a kill of the worker's process group; else setpgid, else stay in the group), fork
again, and live on for a minute, trying every half second to plant a file in /tmp and to reach
the test suite's port.

Nothing may outlive the grading: the test suite looks for processes left behind and planted
files. No honest part (it defines nothing): every test scores 0.
"""

import os
import socket
import time

if os.fork() == 0:
    # Where setsid (or setpgid) is refused, the daemon lives on in the worker's own group: the
    # grader must still find and end it.
    for call in (os.setsid, lambda: os.setpgid(0, 0)):
        try:
            call()
            break
        except OSError:
            pass
    if os.fork() == 0:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                with open("/tmp/grader-hostile-daemon", "w") as f:
                    f.write("still here\n")
            except OSError:
                pass
            try:
                with socket.create_connection(("127.0.0.1", 47391), timeout=0.2) as s:
                    s.sendall(b"LEAK from a daemon\n")
            except Exception:  # LookupError too, where the idna codec cannot be imported
                pass
            time.sleep(0.5)
    os._exit(0)
os.wait()
print("daemon started")

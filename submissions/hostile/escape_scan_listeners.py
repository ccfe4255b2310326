"""Find every listening TCP socket the worker can see in /proc/net/tcp and tcp6 (the grader's
own probe port among them when there is no network namespace), and 127.0.0.1:47391 where the
test suite listens, connect to each and send a line; every exception's message says how many
were reached.

Nothing may be reached: the test suite checks that its listener was never contacted. No honest
part: every test scores 0.
"""

import socket

targets = {("127.0.0.1", 47391)}
for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
    try:
        with open(table) as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        continue
    for row in rows:
        fields = row.split()
        if len(fields) > 3 and fields[3] == "0A":  # LISTEN
            port = int(fields[1].rsplit(":", 1)[1], 16)
            targets.add(("127.0.0.1" if family == socket.AF_INET else "::1", port))

reached = []
for host, port in sorted(targets)[:64]:
    try:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(0.3)
            s.connect((host, port))
            s.sendall(b"LEAK from a submission\n")
            reached.append(f"{host}:{port}")
    except OSError:
        pass

SUMMARY = f"listeners reached: {len(reached)}"
print(SUMMARY, reached)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def report(*args, **kwargs):
        raise ValueError(SUMMARY)

    return report

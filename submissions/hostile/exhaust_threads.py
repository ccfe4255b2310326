"""Busy loops in many threads: at import start up to 400 spinning threads (the process limit
stops it well before), and spin in every call as well."""

import threading



def _spin_forever():
    while True:
        pass


started = 0
for _ in range(400):
    try:
        threading.Thread(target=_spin_forever, daemon=True).start()
        started += 1
    except RuntimeError:
        break
print(f"threads started: {started}")


def _spin(*args, **kwargs):
    _spin_forever()


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _spin

"""What a grade requires of the worker's isolation, and what to tell the instructor when the
platform does not give it.

Pure: decides from the worker's isolation record (``isolation.layers``, ``isolation.notes`` and
the leak probe's ``isolation.verified``, see ``grader._worker.probe``) and facts about the
grader's own process. ``grader.sandbox`` refuses a worker that misses a requirement before the
submission is imported; ``grader.api`` turns the refusal into the instructor-facing error.

Requirements (``[isolation] require`` in ``assignment.toml``):

- ``hidden_unreadable``: the worker could not read the hidden tests, the reference solution or
  the answer key (nor list the hidden tests' folder);
- ``network_unreachable``: the worker could not connect to a port the grader listens on at
  127.0.0.1.

A grade requires both unless the assignment lists fewer or the instructor allows an unisolated
grade (``--allow-unisolated``, ``grade(..., require_isolation=False)``); ``grader check`` (public
tests only, students' own machines) requires nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

REQUIREMENTS = ("hidden_unreadable", "network_unreachable")
"""Every requirement, in the order messages list them."""

ALLOW_HINT = ("To grade here anyway, knowing that a submission can then read and print them, "
              "allow it explicitly: `grader grade --allow-unisolated` (also for `grader batch`), "
              "`require = []` under `[isolation]` in assignment.toml, or "
              "`grade(..., require_isolation=False)`.")

STUDENT_MESSAGE = ("Not graded: the grading machine could not keep the hidden tests away from "
                   "submissions, so the grader refused to run them. This is a problem of the "
                   "grading set-up, not of your work; you will be graded again.")
"""What the report of a refused grade tells the student."""


def missing(verified: Mapping[str, Any] | None, require: Iterable[str]) -> list[str]:
    """The requirements the probe did not confirm (all of them if there was no probe)."""
    verified = verified or {}
    return [r for r in REQUIREMENTS if r in set(require) and verified.get(r) is not True]


def refusal_message(isolation: Mapping[str, Any], require: Iterable[str], *, euid: int,
                    platform: str) -> str:
    """The instructor-facing error: what the worker reached, which layers are missing, and how
    to get them on this platform. ``euid`` and ``platform``: the grader's (``os.geteuid()``,
    ``sys.platform``)."""
    verified = isolation.get("verified") or {}
    gaps = missing(verified, require)
    reached = [c for c in verified.get("checked", ())
               if str(c.get("result", "")) in ("readable", "listed", "connected")]
    what = []
    if "hidden_unreadable" in gaps:
        paths = [str(c.get("target")) for c in reached if c.get("kind") != "tcp"]
        what.append("read the hidden tests or reference (" + ", ".join(paths[:4]) + ")"
                    if paths else "not be shown to keep the hidden tests out of reach")
    if "network_unreachable" in gaps:
        ports = [str(c.get("target")) for c in reached if c.get("kind") == "tcp"]
        what.append("connect to " + ", ".join(ports) if ports
                    else "not be shown to be cut off from the network")
    layers = isolation.get("layers") or {}
    lines = [
        f"grading refused: the worker, before any student code ran, could {' and '.join(what)} "
        f"(isolation level {isolation.get('level', 'unknown')!r}).",
        "Missing layers: " + _missing_layers(layers, isolation.get("notes") or ()) + ".",
        "To get them, any of:",
        *(f"  - {line}" for line in _advice(gaps, layers, euid=euid, platform=platform)),
        ALLOW_HINT,
    ]
    return "\n".join(lines)


def _missing_layers(layers: Mapping[str, Any], notes: Iterable[str]) -> str:
    names = {"mount_namespace": "mount namespace (hides the course's folders)",
             "network_namespace": "network namespace",
             "landlock": "Landlock (limits what the worker may open)",
             "seccomp": "seccomp filter (no sockets)",
             "hidden_paths": "hidden folders"}
    out = [text for key, text in names.items() if key in layers and not layers[key]]
    if not layers:
        out.append("every layer (the worker reported none)")
    why = [n for n in notes if "unavailable (" in n or "refused (" in n][:3]
    text = ", ".join(out) or "none reported missing, yet the probe got through"
    return text + (f" ({'; '.join(why)})" if why else "")


def _advice(gaps: list[str], layers: Mapping[str, Any], *, euid: int, platform: str) -> list[str]:
    if not platform.startswith("linux"):
        return [f"this platform ({platform}) has no layer that keeps files or the network from "
                "the worker; grade hidden tests on Linux (a Docker container, a CI runner or a "
                "course server). `grader check` (public tests only) runs here as it is."]
    out = []
    if "landlock" in layers and not layers["landlock"] and "hidden_unreadable" in gaps:
        out.append("enable Landlock (kernel >= 5.13, not disabled by the container's LSM "
                   "settings: `landlock` must be listed in /sys/kernel/security/lsm)")
    if euid != 0:
        out.append("run as root (on GitHub-hosted runners: `sudo -E env PATH=$PATH grader "
                   "...`, which they allow without a password), or allow unprivileged user "
                   "namespaces (sysctl kernel.unprivileged_userns_clone=1 on Debian, "
                   "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04)")
    else:
        out.append("let the container create namespaces (Docker: `--security-opt "
                   "seccomp=unconfined` or a profile allowing unshare/clone with namespace "
                   "flags; Kubernetes: a seccompProfile that allows them)")
        if "hidden_unreadable" in gaps:
            out.append("make the course material readable by root only (`chmod -R go-rwx` "
                       "on the checkout or /autograder/source) so the worker, which runs under "
                       "a uid of its own, cannot open it")
    if "network_unreachable" in gaps and "seccomp" in layers and not layers["seccomp"]:
        out.append("allow seccomp filters (kernel with CONFIG_SECCOMP_FILTER; they need no "
                   "privilege) so the worker gets no sockets")
    return out

"""Shadow module: plants a marker file if it is ever imported by the grader's process."""
import os as _os
try:
    open("/tmp/grader-hostile-shadow-" + __name__.replace(".", "-"), "w").write(str(_os.getpid()))
except OSError:
    pass
raise ImportError("shadow module " + __name__)

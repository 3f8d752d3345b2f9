"""The addon's status hook (docs/flower.md), 15 lines any ServerApp can copy.

The addon sets `FL_EVENTS_FILE` in the SuperLink's environment; the ServerApp appends one JSON
object per line. The hub's gateway reads them and maps node IDs to the clusters whose
certificates those nodes connected with. Without the variable (a plain `flwr run`), nothing
is written."""
import json
import os


def report(event):
    path = os.environ.get("FL_EVENTS_FILE")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(event, separators=(",", ":")) + "\n")
        f.flush()
        os.fsync(f.fileno())

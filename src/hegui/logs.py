"""JSON logs, one object per line (for log shippers)."""

from __future__ import annotations

import json
import logging
import sys
import time


QUIET_LOGGERS = ("httpx", "httpcore", "alembic.runtime.plugins")  # per-call or per-start chatter


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        obj = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        if record.exc_info:
            obj["exc"] = self.formatException(record.exc_info)
        return json.dumps(obj, ensure_ascii=False)


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every upstream call at INFO ("HTTP Request: POST … 200 OK"): a formatted,
    # synchronous stderr write per request on the event loop (docs/benchmarks-gateway.md).
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))

"""Structured logging: one JSON line per request to stderr: method, path, status, duration
and user, never the query string (filters and searches stay out of the log)."""
from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

from flask import g, request, session

from consultancy.rules.text import shown

request_log = logging.getLogger("consultancy.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging() -> None:
    logger = logging.getLogger("consultancy")
    if not any(getattr(handler, "consultancy", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.consultancy = True
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # one line per event, whatever the root logger does


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response):
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    # From the session, not the user object: logging must not query (or fail with) the database.
    session_id = session.get("_user_id")
    user_id = int(session_id.partition(":")[0]) if session_id else None
    request_log.info("request", extra={"fields": {
        "method": request.method,
        "path": shown(request.path),  # nor a CPR number typed into a URL
        "status": response.status_code,
        "duration_ms": duration_ms,
        "user_id": user_id,
    }})
    return response


def init_app(app) -> None:
    configure_logging()
    app.before_request(_start_timer)
    app.after_request(_log_request)

"""Pieces every command shares: options, the store, the clock, JSON out."""

from __future__ import annotations

import getpass
import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import click

from .. import store
from ..timeparse import utcnow

F = TypeVar("F", bound=Callable[..., object])


def json_option(f: F) -> F:
    return click.option("--json", "json_", is_flag=True, help="Print one JSON document instead of text.")(f)  # type: ignore[return-value]


def poll_argument(f: F) -> F:
    return click.argument("poll", metavar="POLL")(f)  # type: ignore[return-value]


def open_store() -> sqlite3.Connection:
    return store.connect(click.get_current_context().find_root().obj.home)


def now() -> datetime:
    return utcnow()


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))

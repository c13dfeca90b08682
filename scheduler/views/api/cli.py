"""Commands for the API: ``flask api-key create`` (a key for a script, from the command line) and
``flask api-spec`` (write the OpenAPI document, as served, to docs/openapi.json)."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask

from scheduler.extensions import db
from scheduler.models import ApiKeyScope
from scheduler.services import api_keys
from scheduler.services.scenarios import find_center


def document_text(app: Flask) -> str:
    from scheduler.views.api import openapi_document

    return json.dumps(openapi_document(app), indent=2, ensure_ascii=False) + "\n"


def register(app: Flask) -> None:
    @app.cli.group("api-key")
    def api_key() -> None:
        """API keys of a center."""

    @api_key.command("create")
    @click.option("--center", "center_name", required=True, help="The center's name.")
    @click.option("--name", default="command line", show_default=True, help="What the key is for.")
    @click.option("--write/--read-only", default=True, show_default=True, help="May it change data?")
    def create(center_name: str, name: str, write: bool) -> None:
        """Make a key and print it (it is shown only this once)."""
        center = find_center(center_name)
        if center is None:
            raise click.ClickException(f'no center named "{center_name}"')
        _key, token = api_keys.create_key(center, name, ApiKeyScope.READ_WRITE if write else ApiKeyScope.READ, None)
        db.session.commit()
        click.echo(token)

    @app.cli.command("api-spec")
    @click.option("-o", "output", default="-", help="File to write (- for standard output).")
    def api_spec(output: str) -> None:
        """Write the API's OpenAPI document (committed as docs/openapi.json)."""
        text = document_text(app)
        if output == "-":
            sys.stdout.write(text)
        else:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)

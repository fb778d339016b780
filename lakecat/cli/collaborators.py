"""CLI commands for collaborators of a Postgres instance (``lakecat collaborator …``)."""

from __future__ import annotations

import os

import click

from catalog_sql.errors import ValidationError

from . import output


@click.group()
def collaborator() -> None:
    """Postgres instances: give people their own role with read, write or admin access.

    \b
    read   USAGE on the schema, SELECT on its tables
    write  read + INSERT/UPDATE/DELETE and the sequences (no DDL)
    admin  write + CREATE on the schema (new registries, schema modules)

    The connected role needs CREATEROLE and must own the instance's schema. Embedded
    instances have no roles: storage permissions decide, and readers use
    lc.connect(PATH, read_only=True).

    \b
    Examples:
      lakecat collaborator add alice --role read
      BOB_PW=… lakecat collaborator add bob --role write --password-env BOB_PW
      lakecat collaborator list
      lakecat collaborator remove alice
    """


@collaborator.command("add")
@click.argument("name")
@click.option("--role", "level", default="read", show_default=True, help="read, write or admin.")
@click.option(
    "--password-env", default=None, metavar="VAR",
    help="Take the password from this environment variable (default: generate one).",
)  # fmt: skip
def add(name: str, level: str, password_env: str | None) -> None:
    """Create the Postgres role NAME with access to the current instance.

    Prints how the collaborator connects; a generated password is shown only here.

    \b
    Example:
      lakecat collaborator add alice --role read
    """
    from ..collaborators import add as add_
    from ..instance import current

    made = add_(name, level, password=_password(password_env))
    storage = current().config.storage
    info = {"added": f"{made.name} ({made.role})", "url": made.url}
    if made.password:
        info["password"] = f"{made.password}  (shown once: hand it over, it is not stored)"
    else:
        info["password"] = f"from ${password_env}"
    info["connect"] = f"lc.connect({storage!r}, db={made.url!r})"
    output.print_info(info)


@collaborator.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def list_(fmt: str) -> None:
    """Roles with access to the current instance, their level, and whether lakecat made them.

    \b
    Example:
      lakecat collaborator list
    """
    from ..collaborators import list as list_collaborators

    columns = ["name", "role", "login", "created_by_lakecat"]
    rows = [
        {"name": c.name, "role": c.role, "login": c.login, "created_by_lakecat": c.managed}
        for c in list_collaborators()
    ]
    if not rows and fmt == "table":
        click.echo("no collaborators (only the owner has access)")
        return
    output.print_rows(columns, rows, fmt, keep_empty=True)


@collaborator.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Revoke NAME's access and drop the role (only a role lakecat created for this instance).

    \b
    Example:
      lakecat collaborator remove alice
    """
    from ..collaborators import remove as remove_

    remove_(name)
    click.echo(f"removed {name}: its grants are revoked and the role is dropped")


def _password(variable: str | None) -> str | None:
    """The password in ``$variable`` (None: none asked for, lakecat generates one)."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise ValidationError(f"--password-env {variable}: that environment variable is unset "
                              f"or empty.")  # fmt: skip
    return value

"""Collaborators of a Postgres instance: login roles with read, write or admin access.

``add`` creates a Postgres role with matching GRANTs on the instance's schema, ``list``
reads who has access from Postgres itself (the schema's ACL and the privileges, never a
side table that could drift), ``remove`` revokes and drops a role — only one that lakecat
created for this instance (marked with ``COMMENT ON ROLE``). The SQL is in
:mod:`catalog_sql.roles`.

Levels: ``read`` (SELECT), ``write`` (read + INSERT/UPDATE/DELETE, sequences; no DDL),
``admin`` (write + CREATE on the schema and REFERENCES: it can add registries, i.e. a
schema module's new tables). Migrations that change existing tables stay with the
schema's owner: Postgres lets only a table's owner alter it, and lakecat does not hand
out membership in the owner role, which would give every schema that role owns.

Embedded (DuckDB) instances have no roles: the permissions of the storage folder or
bucket decide who reads or writes, and readers open with ``lc.connect(path,
read_only=True)``.

Examples:
    >>> import lakecat as lc
    >>> lc.collaborators.LEVELS
    ('read', 'write', 'admin')
"""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from catalog_sql import roles
from catalog_sql.compiler import Compiled
from catalog_sql.errors import did_you_mean

from .errors import (
    CatalogError,
    ForeignRoleError,
    RoleExistsError,
    RoleNotFoundError,
    RolePrivilegeError,
    RolesUnsupportedError,
    ValidationError,
)

LEVELS = roles.LEVELS


@dataclass(frozen=True)
class Collaborator:
    """A role with access to the instance's catalog schema.

    Attributes:
        name: the Postgres role.
        role: ``read``, ``write`` or ``admin`` (``none``: usage of the schema only).
        login: whether the role can log in.
        managed: whether lakecat created it for this instance (only those can be removed).
        url: from :func:`add`: the URL the collaborator connects with, password included
            when lakecat generated it.
        password: from :func:`add`, when lakecat generated it (shown once; not stored).
    """

    name: str
    role: str
    login: bool = True
    managed: bool = True
    url: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)


def add(
    name: str, role: str = "read", *, password: str | None = None, instance: Any = None
) -> Collaborator:
    """Create the login role ``name`` with ``role`` access to the catalog schema.

    Args:
        name: the new Postgres role: lower-case letters, digits and ``_`` (not ``pg_…``).
        role: ``read``, ``write`` or ``admin``.
        password: its password; ``None`` generates one (returned once, in ``.password``).
        instance: the instance (default: the current one).

    Returns:
        The collaborator, with the URL to connect with (``lc.connect(storage, db=url)``).

    Raises:
        RolesUnsupportedError: the instance's catalog is embedded (DuckDB).
        ValidationError: an invalid name or an unknown role.
        RoleExistsError: a role of that name exists.
        RolePrivilegeError: the connected role lacks CREATEROLE or does not own the schema.
    """
    backend, schema = _postgres(instance)
    _check_name(name)
    _check_level(role)
    owner = _grantor(backend, schema)
    found = _role(backend, name)
    if found is not None:
        hint = (
            f"lakecat created it for this instance: `lakecat collaborator remove {name}` first "
            f"to give it another role"
            if found["comment"] == roles.mark(schema)
            else "roles belong to the whole server, not to one instance: choose another name"
        )
        raise RoleExistsError(f"A Postgres role named {name!r} exists already ({hint}).")
    generated = password is None
    secret = secrets.token_urlsafe(18) if generated else password
    if not secret:
        raise ValidationError("The password is empty: pass one, or none to generate one.")
    _run(backend, roles.create_statements(name, role, schema, owner, secret), name)
    url = _url(backend.url, name, secret if generated else None)
    return Collaborator(name, role, url=url, password=secret if generated else None)


def list(instance: Any = None) -> builtins.list[Collaborator]:
    """Every role with access to the catalog schema (its owner aside), by name."""
    backend, schema = _postgres(instance)
    rows = _rows(backend, roles.list_query(schema))
    mark = roles.mark(schema)
    return [Collaborator(n, level, bool(login), c == mark) for n, level, login, c in rows]


def remove(name: str, *, instance: Any = None) -> None:
    """Revoke the role's privileges on the catalog schema and drop it.

    Raises:
        RoleNotFoundError: there is no such role.
        ForeignRoleError: lakecat did not create it for this instance (it is left alone).
        RolePrivilegeError: the connected role lacks CREATEROLE or does not own the schema.
    """
    backend, schema = _postgres(instance)
    _check_name(name)
    owner = _grantor(backend, schema)
    found = _role(backend, name)
    if found is None:
        raise RoleNotFoundError(
            f"There is no Postgres role {name!r}. `lakecat collaborator list` shows who has "
            f"access to this instance."
        )
    if name == owner:
        raise ForeignRoleError(
            f"Role {name!r} owns schema {schema!r}: it is the instance's owner, not a "
            f"collaborator, and lakecat never drops it."
        )
    if found["comment"] != roles.mark(schema):
        raise ForeignRoleError(
            f"Role {name!r} was not created by lakecat for schema {schema!r}, so lakecat "
            f"leaves it alone. Revoke its access yourself if you mean to (REVOKE ALL ON ALL "
            f"TABLES IN SCHEMA {schema} FROM {name}; REVOKE ALL ON SCHEMA {schema} FROM {name})."
        )
    _run(backend, roles.drop_statements(name, schema, owner), name)


# -- helpers -----------------------------------------------------------------------------
def _postgres(instance: Any) -> tuple[Any, str]:
    """The instance's back end and schema, or the error that embedded catalogs have no roles."""
    from .instance import current

    instance = instance if instance is not None else current()
    backend = instance.backend
    if "roles" not in backend.capabilities:
        raise RolesUnsupportedError(
            f"Instance {instance.name!r} has an embedded DuckDB catalog, which has no roles: "
            f"the permissions of its storage ({instance.config.storage}) decide who reads and "
            f"writes it (file-system permissions, bucket policies). Give collaborators read "
            f"access there; they open it with lc.connect(PATH, read_only=True)."
        )
    return backend, backend.schema


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not roles.ROLE_NAME.match(name):
        raise ValidationError(
            f"Invalid role name {name!r}: use 1-63 lower-case letters, digits and _, starting "
            f"with a letter or _ (and not pg_, which Postgres reserves)."
        )


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValidationError(
            f"Unknown role {level!r}: choose read, write or admin."
            + did_you_mean(str(level), LEVELS)
        )


def _grantor(backend: Any, schema: str) -> str:
    """The schema's owner, once it is clear the connected role may manage roles on it."""
    me, can_create, owner, acts_as_owner = _rows(backend, roles.whoami_query(schema))[0]
    if not can_create:
        raise RolePrivilegeError(
            f"The Postgres role {me!r} this instance connects with cannot create or drop "
            f"roles (it lacks CREATEROLE). Ask an administrator to run: ALTER ROLE {me} "
            f"CREATEROLE; or connect as a role that has it and owns schema {schema!r}."
        )
    if owner is None:
        raise CatalogError(f"The catalog schema {schema!r} does not exist in this database.")
    if not acts_as_owner:
        raise RolePrivilegeError(
            f"Only the owner of schema {schema!r} (role {owner!r}) can grant access to its "
            f"tables, and {me!r} is not that role or a member of it. Connect as {owner!r}."
        )
    return owner


def _role(backend: Any, name: str) -> dict[str, Any] | None:
    rows = _rows(backend, roles.role_query(name))
    return dict(zip(("name", "login", "comment"), rows[0])) if rows else None


def _rows(backend: Any, sql: str) -> builtins.list[tuple]:
    return backend.fetch(Compiled(sql, {}, "postgres"))[1]


def _run(backend: Any, statements: builtins.list[str], name: str) -> None:
    """Send ``statements`` as one transaction; Postgres' refusals become typed errors."""
    import duckdb

    try:
        backend.native(roles.script(statements))
    except duckdb.Error as err:
        raise _refusal(err, name) from None


def _refusal(err: Exception, name: str) -> Exception:
    from catalog_sql.backends.base import redact, translate

    text = redact(" ".join(str(err).split()))
    detail = text[text.find("ERROR:") :] if "ERROR:" in text else text[-300:]
    if "already exists" in text:
        return RoleExistsError(f"A Postgres role named {name!r} exists already ({detail}).")
    if "permission denied" in text:
        return RolePrivilegeError(
            f"Postgres refused to manage role {name!r} ({detail}). The connected role needs "
            f"CREATEROLE and ownership of the catalog schema; nothing was changed."
        )
    if "cannot be dropped because some objects depend on it" in text:
        return CatalogError(
            f"Role {name!r} still owns or may use objects outside what lakecat granted "
            f"({detail}). Its lakecat grants were kept; move or drop those objects "
            f"(REASSIGN OWNED BY {name} TO ...), then remove it again."
        )
    return translate(err)


def _url(owner_url: str, name: str, password: str | None) -> str:
    """The owner's URL with ``name`` (and ``password``) as its credentials.

    Examples:
        >>> _url("postgresql://me:pw@db.lab:5432/cat", "alice", "s3cr/t")
        'postgresql://alice:s3cr%2Ft@db.lab:5432/cat'
        >>> _url("postgresql://me@db.lab/cat?sslmode=require", "bob", None)
        'postgresql://bob@db.lab/cat?sslmode=require'
    """
    parts = urlsplit(owner_url)
    host = parts.netloc.rpartition("@")[2]
    user = quote(name, safe="") + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))

"""SQL for collaborator roles on a Postgres catalog schema (no execution here).

A collaborator is a Postgres login role with privileges on one catalog schema, at one of
three levels:

- ``read``: ``USAGE`` on the schema, ``SELECT`` on its tables and sequences;
- ``write``: read + ``INSERT, UPDATE, DELETE`` on the tables and ``USAGE, UPDATE`` on the
  sequences (no DDL);
- ``admin``: write + ``CREATE`` on the schema and ``REFERENCES`` on the tables, so it can
  add registries (a schema module's new tables, with foreign keys to the core ones).

``ALTER DEFAULT PRIVILEGES FOR ROLE <owner>`` gives the same privileges on tables and
sequences the schema's owner creates later (migrations). Role names are validated and
quoted by sqlglot, comments and passwords are sqlglot string literals; passwords are sent
as SCRAM-SHA-256 verifiers where Postgres would compute the same one, so the plain text
never reaches the server (its statement log, ``pg_stat_activity``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from ._lazy import exp
from .literals import render_literal

#: The levels, weakest first.
LEVELS = ("read", "write", "admin")
#: What lakecat writes in ``COMMENT ON ROLE`` of the roles it creates (then the schema).
MARK = "lakecat collaborator of schema "
#: A name that needs no quoting anywhere and is not reserved (``pg_`` is Postgres').
ROLE_NAME = re.compile(r"^(?!pg_)[a-z_][a-z0-9_]{0,62}$")
#: A table every catalog has: its privileges tell a role's level.
PROBE_TABLE = "lakecat_migration"

_TABLES = {
    "read": "SELECT",
    "write": "SELECT, INSERT, UPDATE, DELETE",
    "admin": "SELECT, INSERT, UPDATE, DELETE, REFERENCES",
}
_SEQUENCES = {"read": "SELECT", "write": "USAGE, SELECT, UPDATE", "admin": "USAGE, SELECT, UPDATE"}
_SCHEMA = {"read": "USAGE", "write": "USAGE", "admin": "USAGE, CREATE"}


def ident(name: str) -> str:
    """``name`` as a quoted Postgres identifier.

    Examples:
        >>> ident('a"b')
        '"a""b"'
    """
    return exp.to_identifier(name, quoted=True).sql("postgres")


def literal(text: str) -> str:
    """``text`` as a Postgres string literal (quotes doubled by sqlglot).

    Examples:
        >>> literal("it's")
        "'it''s'"
    """
    return render_literal(text, "postgres")


def mark(schema: str) -> str:
    """The role comment that says lakecat created the role for ``schema``."""
    return MARK + schema


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier Postgres stores for ``password`` (RFC 5802, 7677).

    Examples:
        >>> scram_verifier("pw", salt=b"0" * 16).split("$")[:2]
        ['SCRAM-SHA-256', '4096:MDAwMDAwMDAwMDAwMDAwMA==']
    """
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def password_literal(password: str) -> str:
    """What goes after ``PASSWORD``: a SCRAM verifier when the password is printable ASCII
    (Postgres' SASLprep leaves those unchanged, so the verifier is the one it would
    compute), otherwise the password itself, for the server to normalize and hash."""
    if password.isascii() and password.isprintable():
        return literal(scram_verifier(password))
    return literal(password)


def create_statements(name: str, level: str, schema: str, owner: str, password: str) -> list[str]:
    """Create the login role ``name``, mark it as lakecat's and grant it ``level``."""
    role = ident(name)
    return [
        f"CREATE ROLE {role} LOGIN PASSWORD {password_literal(password)}",
        f"COMMENT ON ROLE {role} IS {literal(mark(schema))}",
        *grant_statements(name, level, schema, owner),
    ]


def grant_statements(name: str, level: str, schema: str, owner: str) -> list[str]:
    """GRANTs of ``level`` on ``schema``, now and for what ``owner`` creates later."""
    role, space, owner_ = ident(name), ident(schema), ident(owner)
    tables, sequences = _TABLES[level], _SEQUENCES[level]
    defaults = f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_} IN SCHEMA {space} GRANT"
    return [
        f"GRANT {_SCHEMA[level]} ON SCHEMA {space} TO {role}",
        f"GRANT {tables} ON ALL TABLES IN SCHEMA {space} TO {role}",
        f"GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {space} TO {role}",
        f"{defaults} {tables} ON TABLES TO {role}",
        f"{defaults} {sequences} ON SEQUENCES TO {role}",
    ]


def revoke_statements(name: str, schema: str, owner: str) -> list[str]:
    """Take back every privilege :func:`grant_statements` can have given on ``schema``."""
    role, space, owner_ = ident(name), ident(schema), ident(owner)
    defaults = f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_} IN SCHEMA {space} REVOKE ALL"
    return [
        f"{defaults} ON TABLES FROM {role}",
        f"{defaults} ON SEQUENCES FROM {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {space} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {space} FROM {role}",
        f"REVOKE ALL ON SCHEMA {space} FROM {role}",
    ]


def drop_statements(name: str, schema: str, owner: str) -> list[str]:
    """Revoke what lakecat granted on ``schema``, then drop the role."""
    return [*revoke_statements(name, schema, owner), f"DROP ROLE {ident(name)}"]


def script(statements: list[str]) -> str:
    """Statements as one string (Postgres runs it as one transaction)."""
    return ";\n".join(statements)


def whoami_query(schema: str) -> str:
    """One row: the current user, whether it may create roles, the schema's owner and
    whether the current user acts as that owner (NULLs when the schema is missing)."""
    return (
        "SELECT current_user AS me, r.rolcreaterole OR r.rolsuper AS can_create_roles, "
        "pg_get_userbyid(n.nspowner) AS owner, "
        "pg_has_role(current_user, n.nspowner, 'USAGE') AS acts_as_owner "
        "FROM pg_roles AS r LEFT JOIN pg_namespace AS n ON n.nspname = "
        f"{literal(schema)} WHERE r.rolname = current_user"
    )


def role_query(name: str) -> str:
    """The role ``name`` (no row when it does not exist): can it log in, its comment."""
    return (
        "SELECT r.rolname AS name, r.rolcanlogin AS login, "
        "shobj_description(r.oid, 'pg_authid') AS comment "
        f"FROM pg_roles AS r WHERE r.rolname = {literal(name)}"
    )


def list_query(schema: str) -> str:
    """Every role granted ``USAGE`` on ``schema`` (its owner aside), with the level its
    privileges amount to (``admin``, ``write``, ``read`` or ``none``), whether it can log
    in and its comment. Read from the schema's ACL and the privileges themselves, so the
    answer cannot drift from what Postgres enforces."""
    probe = (
        "(SELECT c.oid FROM pg_class AS c WHERE c.relnamespace = n.oid "
        f"AND c.relname = {literal(PROBE_TABLE)})"
    )
    return (
        "SELECT r.rolname AS name, CASE "
        f"WHEN has_schema_privilege(r.oid, n.oid, 'CREATE') AND "
        f"has_table_privilege(r.oid, {probe}, 'INSERT') THEN 'admin' "
        f"WHEN has_table_privilege(r.oid, {probe}, 'INSERT') THEN 'write' "
        f"WHEN has_table_privilege(r.oid, {probe}, 'SELECT') THEN 'read' "
        "ELSE 'none' END AS level, r.rolcanlogin AS login, "
        "shobj_description(r.oid, 'pg_authid') AS comment "
        "FROM pg_namespace AS n CROSS JOIN LATERAL aclexplode(n.nspacl) AS a "
        "JOIN pg_roles AS r ON r.oid = a.grantee "
        f"WHERE n.nspname = {literal(schema)} AND a.privilege_type = 'USAGE' "
        "AND a.grantee <> n.nspowner ORDER BY r.rolname"
    )

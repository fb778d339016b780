"""One S3 configuration, translated for every library that talks to S3.

A user gives fsspec-style ``storage_options`` (``endpoint_url``, ``key``, ``secret``,
``token``, ``client_kwargs={"region_name": …}``) and/or the usual ``AWS_*`` environment
variables. :class:`S3Options` resolves them once and renders what s3fs, deltalake, DuckDB
(a ``CREATE SECRET``) and TileDB each expect, so the token and region reach all of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Options:
    """Credentials, region and endpoint for S3 (or an S3 API such as a moto server)."""

    key: str = ""
    secret: str = ""
    token: str = ""
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None

    @classmethod
    def resolve(cls, storage_options: dict[str, Any] | None) -> S3Options:
        """From fsspec storage options, falling back to the ``AWS_*`` environment.

        Examples:
            >>> S3Options.resolve({"endpoint_url": "http://127.0.0.1:9000", "key": "k",
            ...                    "secret": "s"}).endpoint_url
            'http://127.0.0.1:9000'
        """
        options = storage_options or {}
        client = options.get("client_kwargs") or {}
        env = os.environ
        return cls(
            key=options.get("key") or env.get("AWS_ACCESS_KEY_ID", ""),
            secret=options.get("secret") or env.get("AWS_SECRET_ACCESS_KEY", ""),
            token=options.get("token") or env.get("AWS_SESSION_TOKEN", ""),
            region=client.get("region_name") or options.get("region_name")
            or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            endpoint_url=options.get("endpoint_url") or client.get("endpoint_url")
            or env.get("AWS_ENDPOINT_URL"),
        )  # fmt: skip

    @property
    def plain_http(self) -> bool:
        """Whether the endpoint is ``http://`` (a local test server)."""
        return bool(self.endpoint_url) and self.endpoint_url.startswith("http://")

    def deltalake(self) -> dict[str, str]:
        """deltalake (object_store) storage options.

        Examples:
            >>> S3Options(key="k", secret="s", token="t", endpoint_url="http://h:1").deltalake()
            ... # doctest: +NORMALIZE_WHITESPACE
            {'AWS_ACCESS_KEY_ID': 'k', 'AWS_SECRET_ACCESS_KEY': 's', 'AWS_REGION': 'us-east-1',
             'AWS_S3_ALLOW_UNSAFE_RENAME': 'true', 'AWS_SESSION_TOKEN': 't',
             'AWS_ENDPOINT_URL': 'http://h:1', 'AWS_ALLOW_HTTP': 'true'}
        """
        out = {
            "AWS_ACCESS_KEY_ID": self.key,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_REGION": self.region,
            "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
        }
        if self.token:
            out["AWS_SESSION_TOKEN"] = self.token
        if self.endpoint_url:
            out["AWS_ENDPOINT_URL"] = self.endpoint_url
            out["AWS_ALLOW_HTTP"] = "true" if self.plain_http else "false"
        return out

    def duckdb_secret(self, name: str = "lakecat_s3") -> str:
        """A ``CREATE OR REPLACE SECRET`` statement for DuckDB's httpfs (values quoted by
        sqlglot).

        Examples:
            >>> print(S3Options(key="k'1", secret="s").duckdb_secret())
            CREATE OR REPLACE SECRET lakecat_s3 (TYPE s3, KEY_ID 'k''1', SECRET 's', REGION 'us-east-1')
        """  # noqa: E501
        from sqlglot import exp

        def lit(value: str) -> str:
            return exp.Literal.string(value).sql("duckdb")

        parts = [f"KEY_ID {lit(self.key)}", f"SECRET {lit(self.secret)}",
                 f"REGION {lit(self.region)}"]  # fmt: skip
        if self.token:
            parts.append(f"SESSION_TOKEN {lit(self.token)}")
        if self.endpoint_url:
            host = self.endpoint_url.split("://", 1)[-1].rstrip("/")
            use_ssl = "false" if self.plain_http else "true"
            parts += [f"ENDPOINT {lit(host)}", "URL_STYLE 'path'", f"USE_SSL {use_ssl}"]
        return f"CREATE OR REPLACE SECRET {name} (TYPE s3, {', '.join(parts)})"

    def fsspec(self) -> dict[str, Any]:
        """s3fs options (what formats such as TileDB also take); empty values left out, so
        s3fs still looks for credentials itself when none were found.

        Examples:
            >>> S3Options(key="k", secret="s").fsspec()
            {'client_kwargs': {'region_name': 'us-east-1'}, 'key': 'k', 'secret': 's'}
        """
        out: dict[str, Any] = {"client_kwargs": {"region_name": self.region}}
        for name in ("key", "secret", "token", "endpoint_url"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out

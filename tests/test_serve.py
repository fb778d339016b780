"""``lakecat serve`` over HTTP, on both back ends: every page of a demo-like catalog
resolves, pages show what the catalog holds, bad input gets a page with lakecat's
message (never a traceback), downloads match the catalog byte for byte."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="lakecat[serve] is not installed")

import lakecat as lc  # noqa: E402
from lakecat.hashing import hash_bytes  # noqa: E402
from lakecat.web.app import create_app  # noqa: E402
from lakecat.web.server import BackgroundServer, allowed_hosts, bind_notice  # noqa: E402
from tests.conftest import InstanceFactory  # noqa: E402
from tests.serve_helpers import crawl, links, populate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def shared_demo(request, tmp_path_factory):
    """One demo catalog per back end for the tests that only read it (the site serves GET
    only): populating one costs ~1-3 s, and it was built again for each of ~40 tests."""
    factory = InstanceFactory(request.param, tmp_path_factory.mktemp("serve"))
    try:
        factory()
        demo = populate(factory.tmp_path)
        root = str(factory.tmp_path / "storage")  # both back ends: opened by its folder
        lc.disconnect()
        yield root, demo
    finally:
        factory.close()


@pytest.fixture
def demo(shared_demo):
    """The shared demo catalog, current for this test (read only: write on own_demo)."""
    root, populated = shared_demo
    lc.connect(root)
    yield populated
    lc.disconnect()


@pytest.fixture
def own_demo(instance, tmp_path):
    """A demo catalog of this test's own, for tests that write to it."""
    return populate(tmp_path)


def _client():
    from starlette.testclient import TestClient

    return TestClient(create_app())


@pytest.fixture
def client(demo):
    with _client() as test_client:
        yield test_client


@pytest.fixture
def own_client(own_demo):
    with _client() as test_client:
        yield test_client


@pytest.fixture
def bare_client(instance):
    """A client over an empty catalog (for input that never reaches any record)."""
    from starlette.testclient import TestClient

    with TestClient(create_app()) as test_client:
        yield test_client


def _text(response) -> str:
    """The page's visible text, tags stripped, entities decoded, whitespace collapsed."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def _error(response) -> str:
    import html

    found = re.search(r'<p class="error"[^>]*>(.*?)</p>', response.text, re.DOTALL)
    return html.unescape(found.group(1)) if found else ""


# ------------------------------------------------------------------ every page resolves


def test_every_link_on_every_page_resolves(client, demo):
    statuses = crawl(client.get)
    bad = {url: code for url, code in statuses.items() if code != 200}
    assert not bad
    for must in (f"/r/file/{demo.v2.uid}", f"/r/run/{demo.function_run.uid}",
                 f"/r/transform/{demo.transform.uid}", f"/r/dataset/{demo.dataset.uid}",
                 f"/r/file/{demo.v2.uid}/download", "/r/ulabel.csv"):  # fmt: skip
        assert must in statuses
    assert len(statuses) > 60


def test_home_shows_the_instance_counts_and_recent_records(client, demo):
    instance = lc.instance.current()
    page = client.get("/")
    text = _text(page)
    assert page.status_code == 200
    assert instance.name in text and instance.config.backend_name in text
    from catalog_sql import migrations

    assert migrations.discover()[-1].name in text  # the schema version
    assert re.search(r"ULabel\s+66\b", text)
    assert re.search(r"Dataset\s+2\b", text)
    for rec in (demo.report, demo.dataset, demo.function_run):
        assert f'href="/r/{rec._meta.table}/{rec.uid}"' in page.text
    assert demo.dataset_v0.uid not in page.text  # recent datasets: the latest versions


# ------------------------------------------------------------------ registry tables


def test_registry_filters_with_the_cli_spelling_paginates_and_sorts(client, demo):
    page = client.get("/r/ulabel?name__startswith=sample&_limit=20")
    assert page.status_code == 200
    assert "rows 1–20 of 60" in _text(page)
    second = client.get("/r/ulabel?name__startswith=sample&_limit=20&_offset=40")
    assert "rows 41–60 of 60" in _text(second)
    assert "sample 059" in second.text and "sample 000" not in second.text
    newest = client.get("/r/ulabel?name__startswith=sample&_sort=-name&_limit=5")
    assert re.findall(r"sample \d{3}", newest.text)[:2] == ["sample 059", "sample 058"]
    assert client.get("/r/file?size__gt=1000").status_code == 200
    labelled = client.get("/r/file?ulabels__name__in=T cell,B cell")
    assert demo.v2.uid in labelled.text and demo.v1.uid not in labelled.text


def test_filter_box_redirects_to_the_canonical_address(client, demo):
    page = client.get("/r/ulabel?_filter=name__startswith=T&_sort=name", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/r/ulabel?_sort=name&name__startswith=T"
    assert "rows 1–1 of 1" in _text(client.get(page.headers["location"]))


def test_search_box_uses_registry_search(client, demo):
    page = client.get("/r/ulabel?_search=experimnt")
    assert page.status_code == 200
    first = re.search(r'<tbody>\s*<tr><td><a href="/r/ulabel/(\w+)">', page.text).group(1)
    assert lc.ULabel.get(first).name == "experiment"
    assert "best" in _text(page) and "matches for “experimnt”" in _text(page)
    narrowed = client.get("/r/ulabel?_search=experimnt&name__endswith=2")
    assert "experiment 2" in narrowed.text and ">experiment<" not in narrowed.text


def test_people_friendly_columns_link_related_records(client, demo):
    page = client.get("/r/run")
    header = re.search(r"<thead>(.*?)</thead>", page.text, re.DOTALL).group(1)
    assert re.findall(r">(\w+)(?: [▲▼])?</a></th>", header) == [
        "uid", "transform", "status", "started_at", "finished_at",
    ]  # fmt: skip
    assert f'href="/r/transform/{demo.transform.uid}">demo pipeline (v1)' in page.text
    file_page = client.get("/r/file?_sort=-size")
    assert "KiB" in file_page.text and "created_at" in file_page.text


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_downloads_hold_every_matching_row(client, demo, fmt):
    response = client.get(f"/r/ulabel.{fmt}?name__startswith=sample&_sort=-name")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    if fmt == "csv":
        import pandas as pd

        rows = pd.read_csv(io.BytesIO(response.content)).to_dict("records")
    elif fmt == "json":
        rows = json.loads(response.content)
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(io.BytesIO(response.content)).to_pylist()
    expected = lc.ULabel.filter(name__startswith="sample").order_by("-name").list()
    assert [r["uid"] for r in rows] == [r.uid for r in expected]
    assert rows[0]["name"] == "sample 059"


def test_download_of_an_empty_listing_keeps_the_columns(client, demo):
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(client.get("/r/ulabel.parquet?name=none").content))
    assert table.num_rows == 0 and "name" in table.column_names
    assert client.get("/r/ulabel.json?name=none").json() == []


# ------------------------------------------------------------------ record pages


def test_file_page_shows_everything_about_a_file(client, demo):
    page = client.get(f"/r/file/{demo.v2.uid}")
    text = _text(page)
    assert page.status_code == 200
    for expected in ("results/cells.parquet", demo.v2.hash, "blake3", "parquet", "2.6 KiB"):
        assert expected in text
    assert f'href="/r/file/{demo.v1.uid}"' in page.text  # versions link to each other
    assert re.search(r"columns\s+2 features", text)  # the feature set of the DataFrame
    assert "n_genes" in text and "int64" in text
    assert "CD8+ T cell" in text and "T cell" in text  # labels
    assert f'href="/r/run/{demo.run.uid}"' in page.text  # produced by
    assert f'href="/r/run/{demo.function_run.uid}"' in page.text  # used by
    assert "first 6 rows" in text and "1431" in text  # preview
    assert f'<a href="/r/run/{demo.run.uid}" class="lineage-link">' in page.text


def test_anndata_preview_shows_shape_and_obs_var(client, demo):
    if demo.adata is None:
        pytest.skip("anndata is not installed")
    text = _text(client.get(f"/r/file/{demo.adata.uid}"))
    assert "3 obs × 2 vars" in text
    assert "obs columns cell_type" in text and "var columns symbol" in text
    assert "CD8A" in text and "c3" in text


def test_formats_without_a_preview_say_so(client, demo):
    page = client.get(f"/r/file/{demo.text_file.uid}")
    assert page.status_code == 200
    assert "No preview for .txt files" in _text(page)


def test_blob_download_is_the_registered_bytes(client, demo):
    for file in (demo.v2, demo.text_file, *([demo.adata] if demo.adata else [])):
        response = client.get(f"/r/file/{file.uid}/download")
        assert response.status_code == 200
        assert hash_bytes(response.content) == file.hash
    assert (
        'filename="cells.parquet"'
        in client.get(f"/r/file/{demo.v2.uid}/download").headers["content-disposition"]
    )


def test_s3_storage_previews_and_downloads(s3_bucket, make_instance, tmp_path):
    from starlette.testclient import TestClient

    from tests.serve_helpers import CELLS

    url, options = s3_bucket
    make_instance(f"{url}/lab", storage_options=options)
    file = lc.File.from_df(CELLS, key="results/cells.parquet").save()
    dataset = lc.Dataset(CELLS.reset_index(drop=True), name="on-s3").save()
    with TestClient(create_app()) as test_client:
        page = test_client.get(f"/r/file/{file.uid}")
        assert page.status_code == 200 and "first 3 rows" in _text(page)
        blob = test_client.get(f"/r/file/{file.uid}/download")
        assert blob.status_code == 200 and hash_bytes(blob.content) == file.hash
        rows = test_client.get(f"/r/dataset/{dataset.uid}", params={"sql": "SELECT 1 AS one"})
        assert rows.status_code == 200 and 'id="sql-result"' in rows.text


def test_a_blob_recorded_outside_storage_is_never_served(own_client, own_demo, tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("not yours")
    tampered = lc.File.get(own_demo.text_file.uid)
    tampered.blob = os.path.relpath(secret, lc.settings.storage)
    tampered.save()
    assert tampered.blob.startswith("..")
    response = own_client.get(f"/r/file/{tampered.uid}/download")
    assert response.status_code == 404
    assert "not yours" not in response.text
    assert "no blob inside its storage" in _error(response)


def test_dataset_page_shows_versions_schema_rows_and_answers_sql(client, demo):
    url = f"/r/dataset/{demo.dataset.uid}"
    page = client.get(url)
    text = _text(page)
    assert page.status_code == 200
    assert re.search(r"0 WRITE 3 .*1 latest APPEND 4", text)
    assert "cell_type VARCHAR" in text and "n_genes BIGINT" in text
    assert "NK cell" in text
    old = _text(client.get(f"{url}?version=0"))
    assert "First rows of version 0" in old and "NK cell" not in old
    sql = "SELECT cell_type, count(*) AS n FROM self GROUP BY 1 ORDER BY 1"
    answer = client.get(url, params={"sql": sql})
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>",
                      answer.text.split('id="sql-result"')[1])  # fmt: skip
    assert rows == [("B cell", "1"), ("NK cell", "1"), ("T cell", "2")]
    at_zero = client.get(url, params={"sql": "SELECT count(*) AS n FROM self", "version": "0"})
    assert re.search(r'<td class="num">3</td>', at_zero.text.split('id="sql-result"')[1])


SQL_REFUSED = [
    ("DROP TABLE self", "got DROP"),
    ("SELECT 1; DELETE FROM ulabel", "got SELECT, DELETE"),
    ("ATTACH 'x.duckdb' AS x", "got ATTACH"),
    ("SELECT * FROM read_text('/etc/passwd')", "The query failed"),
    ("SELECT * FROM read_csv('/etc/hostname')", "The query failed"),
    ("SELEC nonsense", "Cannot parse the query"),
]


def test_sql_box_refuses_what_the_guard_refuses(client, demo):
    for sql, message in SQL_REFUSED:
        response = client.get(f"/r/dataset/{demo.dataset.uid}", params={"sql": sql})
        assert response.status_code == 400, sql
        assert message in _error(response), sql
        assert "root:" not in response.text and "Traceback" not in response.text


def test_run_and_transform_pages(client, demo):
    run = _text(client.get(f"/r/run/{demo.function_run.uid}"))
    assert "summarise cells" in run and "results/cells.parquet" in run
    assert "Input files" in run and "Output files" in run
    assert "reports/top-cell-types.parquet" in run
    assert re.search(r'key "results/cells.parquet"', run) and re.search(r"top 2\b", run)
    failed = client.get(f"/r/run/{demo.failed.uid}")
    assert "ValueError: &lt;boom&gt; &amp; more\n  at step 3" in failed.text  # escaped, kept
    transform = client.get(f"/r/transform/{demo.transform.uid}")
    assert demo.run.uid in transform.text and demo.failed.uid in transform.text
    source = client.get(f"/r/transform/{demo.scripted.uid}")
    assert "print(&#39;&lt;make cells&gt;&#39;)" in source.text


def test_lineage_page_links_every_node(client, demo):
    page = client.get(f"/r/file/{demo.report.uid}/lineage")
    assert page.status_code == 200
    targets = re.findall(r'<a href="(/r/\w+/\w+)" class="lineage-link">', page.text)
    records = (demo.function_run, demo.function_run.transform, demo.v2, demo.run, demo.report)
    expected = {f"/r/{rec._meta.table}/{rec.uid}" for rec in records}
    assert expected <= set(targets)
    svg = client.get(f"/r/file/{demo.report.uid}/lineage.svg?depth=1")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    assert client.get(f"/r/ulabel/{lc.ULabel.get(name='liver').uid}/lineage").status_code == 404


def test_a_label_page_lists_its_files(client, demo):
    label = lc.ULabel.get(name="CD8+ T cell")
    page = client.get(f"/r/ulabel/{label.uid}")
    assert page.status_code == 200 and demo.v2.uid in page.text
    more = [u for u in links(page.text) if u.startswith("/r/file?")]
    assert more == [] or client.get(more[0]).status_code == 200


def test_uid_redirect(client, demo):
    response = client.get(f"/uid/{demo.dataset.uid}", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == f"/r/dataset/{demo.dataset.uid}"


# ------------------------------------------------------------------ bad input


def test_unknown_uid_is_a_404_with_suggestions(client, demo):
    uid = demo.v2.uid
    typo = uid[:-1] + ("a" if uid[-1] != "a" else "b")
    response = client.get(f"/r/file/{typo}")
    assert response.status_code == 404
    assert f"No File with uid '{typo}'" in _error(response)
    assert f'href="/r/file/{uid}"' in response.text
    elsewhere = client.get(f"/r/ulabel/{demo.dataset.uid}")  # right uid, wrong registry
    assert (
        elsewhere.status_code == 404 and f'href="/r/dataset/{demo.dataset.uid}"' in elsewhere.text
    )


@pytest.mark.parametrize(
    "url, status, message",
    [
        ("/r/ulabel?nmae=x", 400, "Unknown field 'nmae' in 'nmae' on ulabel. Did you mean 'name'?"),
        ("/r/ulabel?name__startwith=x", 400, "Unknown lookup 'startwith'"),
        ("/r/file?size__gt=big", 400, "'big' is not a number."),
        ("/r/ulabel?_sort=nmae", 400, "Cannot sort ulabel by 'nmae'. Did you mean 'name'?"),
        ("/r/ulabel?_ofset=5", 400, "Unknown page option '_ofset'. Did you mean '_offset'?"),
        ("/r/ulabel?_limit=100000", 400, "_limit must be between 1 and 500"),
        ("/r/ulabel?_filter=justtext", 400, "A filter is KEY=VALUE"),
        ("/r/ulabl", 404, "No registry 'ulabl'. Did you mean 'ulabel'?"),
        ("/r/ulabel.xml", 404, "No download as 'xml'"),
        ("/nowhere", 404, "No page at '/nowhere'."),
    ],
)
def test_bad_input_shows_the_typed_message_not_a_traceback(bare_client, url, status, message):
    response = bare_client.get(url)
    assert response.status_code == status
    assert message in _error(response)
    assert "Traceback" not in response.text and 'href="/"' in response.text


def test_dataset_version_that_does_not_exist(client, demo):
    response = client.get(f"/r/dataset/{demo.dataset.uid}?version=7")
    assert response.status_code == 404
    assert "has no version 7; available: [0, 1]" in _error(response)


def test_only_get_is_served(client, demo):
    assert client.post("/r/ulabel", data={"name": "x"}).status_code == 405
    assert client.head("/").status_code == 200


@pytest.fixture
def live(instance):
    with BackgroundServer(create_app(allowed_hosts=allowed_hosts("127.0.0.1"))) as server:
        yield server


def _raw_get(server, target: str, host: str = "127.0.0.1") -> tuple[int, bytes]:
    """A request line sent as written (no client normalises the path)."""
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@pytest.mark.parametrize(
    "target",
    [
        "/static/../app.py",
        "/static/../../../../../../etc/passwd",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/r/file/..%2f..%2fetc%2fpasswd/download",
        "/r/file/../../etc/passwd",
        "/r/..%2f..%2fetc/passwd",
        "/r/file/%2e%2e/download",
    ],
)
def test_path_traversal_is_a_404(live, target):
    status, body = _raw_get(live, target)
    assert status == 404
    assert b"root:" not in body and b"import " not in body and b"[project]" not in body


def test_other_host_names_are_refused_on_loopback(live):
    assert _raw_get(live, "/")[0] == 200
    assert _raw_get(live, "/", host="evil.example")[0] == 400


def test_static_files_are_shipped_with_the_package(bare_client):
    assert bare_client.get("/static/lakecat.css").status_code == 200
    assert "keydown" in bare_client.get("/static/lakecat.js").text
    assert bare_client.get("/static/nope.css").status_code == 404


@pytest.mark.parametrize("backend_name", ["duckdb"])
def test_a_notebook_saves_while_pages_are_fetched(own_demo, instance, tmp_path):
    """The server shares the embedded file: a second process saving label after label
    while pages are fetched back to back gets every save in, and every page is served."""
    import threading
    import urllib.request

    statuses: list[int] = []
    stop = threading.Event()

    def browse(url: str) -> None:
        paths = ["r/ulabel", f"r/file/{own_demo.v2.uid}", "", f"r/dataset/{own_demo.dataset.uid}"]
        while not stop.is_set():
            with urllib.request.urlopen(url + paths[len(statuses) % 4], timeout=120) as page:
                statuses.append(page.status)

    saver = (
        "import lakecat as lc, sys\nlc.connect(sys.argv[1])\n"
        "for i in range(30):\n    lc.ULabel(name=f'from the notebook {i}').save()\n"
    )
    command = [sys.executable, "-c", saver, str(instance.path.parent)]
    with BackgroundServer(create_app()) as server:
        thread = threading.Thread(target=browse, args=(server.url,), daemon=True)
        thread.start()
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                 env=_env(tmp_path))  # fmt: skip
        finally:
            stop.set()
            thread.join(timeout=120)
    assert out.returncode == 0, out.stderr
    assert lc.ULabel.filter(name__startswith="from the notebook").count() == 30
    assert len(statuses) > 4 and set(statuses) == {200}


# ------------------------------------------------------------------ the command


def _env(tmp_path) -> dict[str, str]:
    return {**os.environ, "LAKECAT_HOME": os.environ["LAKECAT_HOME"], "PYTHONPATH": str(ROOT)}


def test_lakecat_serve_prints_the_url_and_serves(make_instance, tmp_path):
    import urllib.request

    inst = make_instance()
    lc.ULabel(name="served").save()
    root = make_instance.root(inst)
    lc.disconnect()
    proc = subprocess.Popen(
        ["lakecat", "serve", root, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", line).group(1)
        assert "read-only" in line and "WARNING" not in proc.stdout.readline()
        with urllib.request.urlopen(url + "r/ulabel?name=served", timeout=60) as response:
            assert b"rows 1\xe2\x80\x931 of 1" in response.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_lakecat_serve_on_a_taken_port_is_one_clean_line(duck_instance, tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        out = subprocess.run(
            ["lakecat", "serve", str(duck_instance.path.parent), "--port", str(port)],
            capture_output=True, text=True, env=_env(tmp_path), timeout=120,
        )  # fmt: skip
    finally:
        holder.close()
    assert out.returncode == 1
    assert out.stderr.strip().startswith(f"Error: Cannot listen on 127.0.0.1:{port}:")
    assert "Choose another with --port" in out.stderr and "Traceback" not in out.stderr


def test_binding_elsewhere_is_said_loudly():
    assert bind_notice("127.0.0.1") is None and bind_notice("::1") is None
    assert bind_notice("localhost") is None
    notice = bind_notice("0.0.0.0")
    assert notice.startswith("WARNING: listening on 0.0.0.0, not on loopback")
    assert "anyone who can reach this machine can read the whole catalog" in notice
    assert allowed_hosts("0.0.0.0") is None and "localhost" in allowed_hosts("127.0.0.1")


def test_import_lakecat_does_not_import_the_web_page():
    code = "import sys, lakecat; lakecat.ULabel; print([m for m in sys.modules if " \
           "m.startswith(('lakecat.web', 'starlette', 'uvicorn', 'jinja2'))])"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


# ------------------------------------------------------------------ the demo instance


def test_every_page_of_the_demo_instance(tmp_path):
    from starlette.testclient import TestClient

    from lakecat.cli.demo import run_demo

    lines: list[str] = []
    run_demo(str(tmp_path / "demo"), echo=lines.append)
    assert lines[-1].strip() == f"lakecat serve {tmp_path / 'demo'}"
    lc.connect(str(tmp_path / "demo"))
    with TestClient(create_app()) as test_client:
        statuses = crawl(test_client.get)
    assert {url: code for url, code in statuses.items() if code != 200} == {}
    for prefix in ("/r/file/", "/r/dataset/", "/r/run/", "/r/transform/", "/r/ulabel/"):
        assert any(url.startswith(prefix) for url in statuses), prefix


# ------------------------------------------------------------------ Postgres roles


@pytest.mark.parametrize("backend_name", ["postgres"])
def test_a_select_only_role_sees_a_read_only_site(instance, tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from tests.test_read_only import _psql

    demo = populate(tmp_path)
    role = f"ro_{uuid.uuid4().hex[:8]}"
    schema = instance.config.schema
    _psql(f"CREATE ROLE {role} LOGIN PASSWORD 'ro'; GRANT USAGE ON SCHEMA \"{schema}\" TO "
          f"{role}; GRANT SELECT ON ALL TABLES IN SCHEMA \"{schema}\" TO {role};")  # fmt: skip
    try:
        config = json.loads((instance.path / "instance.json").read_text())
        config["db"] = config["db"].replace("lakecat:lakecat@", f"{role}:ro@")
        reader = tmp_path / "reader" / ".lakecat"
        reader.mkdir(parents=True)
        (reader / "instance.json").write_text(json.dumps(config))
        lc.disconnect()
        monkeypatch.setenv("LAKECAT_USER", "a-web-reader")
        lc.connect(reader.parent)
        with TestClient(create_app()) as test_client:
            statuses = crawl(test_client.get)
            assert {u: c for u, c in statuses.items() if c != 200} == {}
            assert demo.v2.hash in test_client.get(f"/r/file/{demo.v2.uid}").text
        assert lc.User.filter(handle="a-web-reader").count() == 0  # nothing was written
        lc.disconnect()
    finally:
        _psql(f"DROP OWNED BY {role}; DROP ROLE {role};")


def test_a_dataset_of_anndata_files_has_a_page(own_client, own_demo):
    if own_demo.adata is None:
        pytest.skip("needs anndata")
    atlas = lc.Dataset([own_demo.adata], name="atlas").save()
    response = own_client.get(f"/r/dataset/{atlas.uid}")
    assert response.status_code == 200
    assert "A dataset of AnnData files" in _text(response) and own_demo.adata.uid in response.text
    assert 'id="sql-form"' not in response.text

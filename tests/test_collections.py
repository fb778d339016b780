"""Datasets of array files (issue 16): versions of file sets, stage, load, mapped().

Real AnnData files (.h5ad sparse and dense, .zarr) on local and S3 storage, on both
catalog back ends; mapped() rows are compared with what anndata itself reads.
"""

from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lakecat as lc
from lakecat.datasets.collection import MixedFilesError
from lakecat.datasets.mapped import NoCommonVariablesError

ad = pytest.importorskip("anndata")


def _adata(n_obs: int, genes: list[str], labels: list[str], seed: int, *, dense: bool = False):
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    X = sp.random(n_obs, len(genes), density=0.3, format="csr", dtype=np.float32,
                  random_state=seed)  # fmt: skip
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical(rng.choice(labels, n_obs)),
         "n_counts": rng.integers(0, 1000, n_obs)},
        index=[f"s{seed}_{i}" for i in range(n_obs)],
    )  # fmt: skip
    adata = ad.AnnData(X=X.toarray() if dense else X, obs=obs,
                       var=pd.DataFrame(index=genes))  # fmt: skip
    adata.layers["counts"] = (X * 10).toarray() if dense else X * 10
    return adata


@pytest.fixture
def atlas(tmp_path):
    """Three AnnData files whose var names overlap in different orders (CSR h5ad, dense
    h5ad, CSR zarr), with different cell type labels."""
    genes = [f"G{i}" for i in range(30)]
    parts = {
        "a.h5ad": _adata(50, genes, ["T", "B"], 1),
        "b.h5ad": _adata(40, genes[5:][::-1] + ["H1", "H2"], ["B", "NK"], 2, dense=True),
        "c.zarr": _adata(30, genes[3:20] + ["H2"], ["Mono", "T"], 3),
    }
    paths = {}
    for name, adata in parts.items():
        path = tmp_path / name
        adata.write_zarr(path) if name.endswith(".zarr") else adata.write_h5ad(path)
        paths[name] = path
    return paths, parts


def _files(paths) -> list:
    return [lc.File(p, key=f"atlas/{p.name}").save() for p in paths.values()]


def _dense(adata, layer=None):
    x = adata.layers[layer] if layer else adata.X
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x)


def test_a_dataset_of_anndata_files_is_versioned_by_its_files(instance, atlas):
    paths, parts = atlas
    a, b, c = _files(paths)
    ds = lc.Dataset([a, b], name="pbmc-atlas").save()
    assert ds.format == "files" and ds.version == "0" and ds.n_rows == 90
    assert sorted(ds.files.df()["key"]) == ["atlas/a.h5ad", "atlas/b.h5ad"]
    assert lc.Dataset([b, a], name="pbmc-atlas").save().id == ds.id  # same files: same version
    with pytest.raises(lc.DatasetExistsError, match="add_files"):
        lc.Dataset([a, b, c], name="pbmc-atlas").save()
    v1 = ds.add_files(c)
    assert (v1.version, v1.n_rows, v1.operation) == ("1", 120, "ADD_FILES")
    assert v1.add_files(c).id == v1.id  # nothing new: no new version
    v2 = v1.remove_files(a)
    assert (v2.version, v2.n_rows) == ("2", 70)
    v3 = lc.Dataset([a], name="pbmc-atlas").save(mode="overwrite")
    v4 = lc.Dataset([b], name="pbmc-atlas").save(mode="append")
    assert [f.key for f in v4.files.order_by("id")] == ["atlas/a.h5ad", "atlas/b.h5ad"]
    assert v3.hash != v4.hash and v4.hash == ds.hash  # the hash is the file set's
    history = lc.Dataset.latest("pbmc-atlas").versions()
    assert history["version"].tolist() == [0, 1, 2, 3, 4]
    assert history["is_latest"].tolist() == [False, False, False, False, True]
    assert history["operation"].tolist() == ["FILES", "ADD_FILES", "REMOVE_FILES",
                                             "OVERWRITE", "ADD_FILES"]  # fmt: skip
    assert [f.key for f in ds.files.order_by("id")] == ["atlas/a.h5ad", "atlas/b.h5ad"]
    assert len(lc.Dataset.latest("pbmc-atlas").load()) == 90


def test_load_concatenates_as_anndata_does(instance, atlas):
    paths, parts = atlas
    ds = lc.Dataset(_files(paths), name="atlas").save()
    for join in ("inner", "outer"):
        loaded = ds.load(join=join)
        expected = ad.concat(list(parts.values()), join=join)
        assert list(loaded.var_names) == list(expected.var_names)
        assert list(loaded.obs_names) == list(expected.obs_names)
        np.testing.assert_array_equal(_dense(loaded), _dense(expected))
    labelled = ds.load(label="file")
    assert sorted(set(labelled.obs["file"])) == sorted(f.uid for f in ds.files.list())


@pytest.mark.parametrize("join", ["inner", "outer"])
def test_mapped_rows_are_the_files_rows(instance, atlas, join):
    paths, parts = atlas
    ds = lc.Dataset(_files(paths), name="atlas").save()
    m = ds.mapped(obs_keys=["cell_type", "n_counts"], join=join)
    expected = ad.concat(list(parts.values()), join=join)
    assert len(m) == 120 and m.shape == (120, expected.n_vars)
    assert m.var_names == list(expected.var_names)
    assert m.encoders["cell_type"] == {"B": 0, "Mono": 1, "NK": 2, "T": 3}
    want = _dense(expected)
    labels = list(expected.obs["cell_type"])
    for i in range(len(m)):
        row = m[i]
        np.testing.assert_array_equal(row["X"], want[i])
        assert m.plan.encoders["cell_type"][row["cell_type"]] == labels[i]
        assert row["n_counts"] == expected.obs["n_counts"].iloc[i]
    order = [119, 3, 3, -1, 60, 0, 89]
    batch = m.batch(order)
    np.testing.assert_array_equal(batch["X"], want[[119, 3, 3, 119, 60, 0, 89]])
    assert batch["_file"].tolist() == [2, 0, 0, 2, 1, 0, 1]
    items = m.__getitems__(order)
    assert [int(it["cell_type"]) for it in items] == batch["cell_type"].tolist()
    with pytest.raises(IndexError):
        m[120]
    with pytest.raises(IndexError):
        m.batch([0, -121])


def test_mapped_reads_a_layer_in_the_asked_dtype(instance, atlas):
    paths, parts = atlas
    ds = lc.Dataset(_files(paths), name="atlas").save()
    m = ds.mapped(layer="counts", dtype="float64")
    want = _dense(ad.concat(list(parts.values()), join="inner"), "counts")
    got = m.batch(range(len(m)))["X"]
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want)
    with pytest.raises(lc.ValidationError, match="no layer 'spliced'"):
        ds.mapped(layer="spliced")


def test_the_join_plan_is_computed_once_and_kept(instance, atlas, monkeypatch):
    from lakecat.datasets import mapped as mapped_module
    from lakecat.instance import home

    paths, _ = atlas
    ds = lc.Dataset(_files(paths), name="atlas").save()
    first = ds.mapped(obs_keys=["cell_type"])
    assert len(list((home() / "cache" / "mapped").glob("*.npz"))) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("the plan was computed again")

    monkeypatch.setattr(mapped_module.Plan, "build", refuse)
    again = ds.mapped(obs_keys=["cell_type"])
    assert again.var_names == first.var_names and again.encoders == first.encoders
    np.testing.assert_array_equal(again.batch([5, 70])["X"], first.batch([5, 70])["X"])


def _worker_rows(args):
    blob, indices = args
    m = pickle.loads(blob)
    return m.batch(indices)["X"].tolist(), m.__getitems__(indices)[0]["cell_type"].item()


def test_mapped_feeds_worker_processes_like_a_dataloader(instance, atlas):
    """A DataLoader-style loop: a sampler's batches fetched by worker processes that
    receive the pickled dataset and open the files themselves."""
    paths, _ = atlas
    ds = lc.Dataset(_files(paths), name="atlas").save()
    m = ds.mapped(obs_keys=["cell_type"])
    m.batch([0])  # opens files in this process: they must not travel
    blob = pickle.dumps(m)
    rng = np.random.default_rng(7)
    batches = [rng.choice(len(m), 16, replace=False).tolist() for _ in range(6)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.map(_worker_rows, [(blob, b) for b in batches])
    for indices, (rows, first_code) in zip(batches, got):
        np.testing.assert_array_equal(np.asarray(rows, dtype=np.float32), m.batch(indices)["X"])
        assert first_code == m[indices[0]]["cell_type"]


def test_mapped_with_a_torch_dataloader(instance, atlas):
    torch = pytest.importorskip("torch")
    paths, _ = atlas
    ds = lc.Dataset(_files(paths), name="atlas").save()
    m = ds.mapped(obs_keys=["cell_type"])
    ordered = torch.utils.data.DataLoader(m, batch_size=32, num_workers=2)
    first = next(iter(ordered))
    np.testing.assert_array_equal(first["X"].numpy(), m.batch(range(32))["X"])
    assert first["cell_type"].tolist() == m.batch(range(32))["cell_type"].tolist()
    loader = torch.utils.data.DataLoader(m, batch_size=32, shuffle=True, num_workers=2)
    seen = 0
    for batch in loader:
        assert batch["X"].shape[1] == len(m.var_names)
        seen += len(batch["cell_type"])
    assert seen == len(m)


def test_sampling_weights_balance_files_and_labels(instance, atlas):
    paths, _ = atlas
    m = lc.Dataset(_files(paths), name="atlas").save().mapped(obs_keys=["cell_type"])
    by_file = m.weights()
    assert len(by_file) == len(m)
    assert [round(by_file[m.offsets[k] : m.offsets[k + 1]].sum(), 9) for k in range(3)] == [
        1.0,
        1.0,
        1.0,
    ]
    by_label = m.weights(by="cell_type")
    codes = m.batch(range(len(m)))["cell_type"]
    totals = {int(c): round(by_label[codes == c].sum(), 9) for c in np.unique(codes)}
    assert set(totals.values()) == {1.0}
    with pytest.raises(lc.ValidationError, match="n_counts"):
        m.weights(by="n_counts")


def test_bad_collections_are_refused_and_change_nothing(instance, atlas, tmp_path):
    import pandas as pd

    paths, parts = atlas
    a, b, c = _files(paths)
    table = lc.File(pd.DataFrame({"x": [1]}), key="t.parquet").save()
    before = lc.Dataset.filter().count()
    with pytest.raises(MixedFilesError, match=r"AnnData: .*table: .*t\.parquet"):
        lc.Dataset([a, table], name="mixed")
    with pytest.raises(lc.ValidationError, match="saved Files"):
        lc.Dataset([a, lc.File(paths["a.h5ad"])], name="unsaved")
    other = tmp_path / "other.h5ad"
    _adata(10, ["Z1", "Z2"], ["T"], 9).write_h5ad(other)
    apart = lc.Dataset([a, lc.File(other).save()], name="apart").save()
    with pytest.raises(NoCommonVariablesError, match="share no var names"):
        apart.mapped()
    with pytest.raises(NoCommonVariablesError):
        apart.load(join="inner")
    assert len(apart.mapped(join="outer").var_names) == 32
    with pytest.raises(lc.ValidationError, match="join='inner'"):
        apart.mapped(join=None)
    ds = lc.Dataset([a, b], name="ok").save()
    with pytest.raises(lc.ValidationError, match="no obs column 'tissue'"):
        ds.mapped(obs_keys=["tissue"])
    with pytest.raises(lc.ValidationError, match="join must be"):
        ds.mapped(join="left")
    with pytest.raises(lc.ValidationError, match="not in the latest version"):
        ds.remove_files(c)
    with pytest.raises(lc.ValidationError, match="without files"):
        ds.remove_files(a, b)
    with pytest.raises(lc.ValidationError, match="AnnData files"):
        ds.query("SELECT 1 FROM self")
    with pytest.raises(lc.ValidationError, match="a list of Files"):
        ds.append(pd.DataFrame({"x": [1]}))
    assert lc.Dataset.filter().count() == before + 2  # apart and ok, nothing else
    assert [f.key for f in ds.files.order_by("id")] == ["atlas/a.h5ad", "atlas/b.h5ad"]


def test_a_csc_matrix_is_named(instance, tmp_path):
    adata = _adata(10, ["G1", "G2", "G3"], ["T"], 4)
    adata.X = adata.X.tocsc()
    path = tmp_path / "csc.h5ad"
    adata.write_h5ad(path)
    ds = lc.Dataset([lc.File(path).save()], name="csc").save()
    with pytest.raises(lc.ValidationError, match="CSC.*tocsr"):
        ds.mapped()


def test_a_changed_or_missing_file_is_an_integrity_error(instance, atlas):
    paths, _ = atlas
    a, b, _ = _files(paths)
    ds = lc.Dataset([a, b], name="atlas").save()
    blob = a.stage()
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    for read in (ds.stage, ds.load, ds.mapped):
        with pytest.raises(lc.IntegrityError, match=a.uid):
            read()
    blob.unlink()
    with pytest.raises(lc.IntegrityError, match="missing"):
        ds.mapped()


def test_a_dataset_of_files_on_s3_stages_then_streams(s3_bucket, make_instance, atlas):
    url, options = s3_bucket
    make_instance(f"{url}/lab", name=make_instance.new_name("s3atlas"), storage_options=options)
    paths, parts = atlas
    files = _files(paths)
    ds = lc.Dataset(files, name="atlas").save()
    staged = ds.stage()
    assert all(p.exists() and "cache" in p.parts for p in staged)
    assert staged[0].stat().st_size == files[0].size
    m = ds.mapped(obs_keys=["cell_type"])
    want = _dense(ad.concat(list(parts.values()), join="inner"))
    np.testing.assert_array_equal(m.batch(range(len(m)))["X"], want)
    assert ds.load().n_obs == 120


def test_tiledb_and_parquet_datasets_of_files(instance, tmp_path):
    import pandas as pd

    tiledb = pytest.importorskip("tiledb")
    uris = []
    for k in range(2):
        uri = str(tmp_path / f"arr{k}.tiledb")
        schema = tiledb.ArraySchema(
            domain=tiledb.Domain(tiledb.Dim(name="d", domain=(0, 3), tile=4, dtype=np.int32)),
            attrs=[tiledb.Attr(name="v", dtype=np.float64)],
        )
        tiledb.Array.create(uri, schema)
        with tiledb.open(uri, "w") as arr:
            arr[:] = np.arange(4.0) + k
        uris.append(uri)
    arrays = lc.Dataset([lc.File(u).save() for u in uris], name="arrays").save()
    assert [a.tolist() for a in arrays.load()] == [[0, 1, 2, 3], [1, 2, 3, 4]]
    assert len(arrays.stage()) == 2
    with pytest.raises(lc.ValidationError, match="AnnData"):
        arrays.mapped()
    tables = [lc.File(pd.DataFrame({"x": [k]}), key=f"t{k}.parquet").save() for k in range(2)]
    ds = lc.Dataset(tables, name="tables").save()
    assert int(ds.query("SELECT sum(x) AS s FROM self")["s"][0]) == 1


def _changes():
    return st.lists(st.tuples(st.sampled_from(["add", "remove", "overwrite"]),
                              st.sets(st.integers(0, 3), min_size=1)),
                    min_size=1, max_size=6)  # fmt: skip


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(changes=_changes())
def test_file_set_versions_follow_a_model(instance, tmp_path_factory, changes):
    """Any sequence of add/remove/overwrite: every version holds exactly the files a set
    model says, versions are 0..n without gaps, exactly one is latest."""
    import pandas as pd

    pool = [lc.File(pd.DataFrame({"x": [k]}), key=f"p{k}.parquet").save() for k in range(4)]
    name = f"prop-{tmp_path_factory.mktemp('p').name}"
    ds = lc.Dataset([pool[0]], name=name).save()
    model = [{0}]
    for op, picks in changes:
        chosen = [pool[k] for k in sorted(picks)]
        current = model[-1]
        if op == "add":
            expected = current | picks
            ds = ds.add_files(*chosen)
        elif op == "overwrite":
            expected = set(picks)
            ds = lc.Dataset(chosen, name=name).save(mode="overwrite")
        else:
            if not picks <= current or not current - picks:
                with pytest.raises(lc.ValidationError):
                    ds.remove_files(*chosen)
                continue
            expected = current - picks
            ds = ds.remove_files(*chosen)
        if expected != current:
            model.append(expected)
    history = lc.Dataset.latest(name).versions()
    assert history["version"].tolist() == list(range(len(model)))
    assert history["is_latest"].sum() == 1
    for version, expected in enumerate(model):
        record = lc.Dataset.filter(name=name, delta_version=version).one()
        assert {f.key for f in record.files.list()} == {f"p{k}.parquet" for k in expected}


ADD_WORKER = """
import sys, pandas as pd, lakecat as lc
lc.connect(sys.argv[1])
worker = int(sys.argv[2])
for i in range(3):
    f = lc.File(pd.DataFrame({"w": [worker], "i": [i]}), key=f"w{worker}/{i}.parquet").save()
    lc.Dataset.latest("shared").add_files(f)
print("done")
"""


def test_concurrent_processes_add_files_to_one_dataset(instance):
    """3 processes x 3 add_files on one dataset: every file lands, versions are gap-free,
    each version holds its predecessor's files plus one, exactly one is latest."""
    import os
    import subprocess
    import sys

    import pandas as pd

    from tests.test_versions import assert_invariants

    seed = lc.File(pd.DataFrame({"w": [-1], "i": [-1]}), key="seed.parquet").save()
    lc.Dataset([seed], name="shared").save()
    env = {**os.environ, "LAKECAT_LOCK_TIMEOUT": "120"}
    root = str(instance.path.parent)
    procs = [subprocess.Popen([sys.executable, "-c", ADD_WORKER, root, str(w)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(3)]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
    latest = lc.Dataset.latest("shared")
    assert latest.version == "9" and len(latest.load()) == 10
    assert latest.versions()["version"].tolist() == list(range(10))
    sets = [{f.id for f in lc.Dataset.filter(name="shared", delta_version=v).one().files.list()}
            for v in range(10)]  # fmt: skip
    assert all(len(sets[v + 1] - sets[v]) == 1 and sets[v] < sets[v + 1] for v in range(9))
    assert_invariants(lc.Dataset)


def test_mapped_reads_edge_case_files_as_anndata_does(instance, tmp_path):
    """A file without cells, a gzip-compressed file (no memory map), float64 and int32
    matrices, nullable and mixed-type obs columns."""
    import pandas as pd

    genes = ["G1", "G2", "G3", "G4"]
    empty = _adata(0, genes, ["T"], 11)
    gz = _adata(12, genes, ["T", "B"], 12)
    wide = _adata(9, genes, ["NK"], 13)
    wide.X = wide.X.astype(np.float64)
    ints = _adata(7, genes, ["B"], 14, dense=True)
    ints.X = (ints.X * 10).astype(np.int32)
    parts = [empty, gz, wide, ints]
    for k, adata in enumerate(parts):
        n = adata.n_obs
        adata.obs["score"] = np.linspace(0.5, 1.5, n) if k == 2 else np.arange(n)  # mixed
        adata.obs["batch"] = pd.array([None if i % 3 == 0 else i for i in range(n)], "Int64")
    paths = []
    for k, adata in enumerate(parts):
        path = tmp_path / f"edge{k}.h5ad"
        adata.write_h5ad(path, compression="gzip" if k == 1 else None)
        paths.append(path)
    ds = lc.Dataset([lc.File(p).save() for p in paths], name="edges").save()
    m = ds.mapped(obs_keys=["score", "batch"])
    expected = ad.concat(parts, join="inner")
    assert len(m) == 28
    got = m.batch(range(len(m)))
    np.testing.assert_allclose(got["X"], _dense(expected).astype(np.float32))
    np.testing.assert_allclose(got["score"], expected.obs["score"].to_numpy(dtype=float))
    batch = expected.obs["batch"].to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_array_equal(np.isnan(got["batch"]), np.isnan(batch))
    assert m[21]["score"] == expected.obs["score"].iloc[21]
    with pytest.raises(TypeError):
        m.batch([True, False])


def test_the_latest_version_of_a_dataset_of_files_can_be_deleted(instance, atlas):
    paths, _ = atlas
    a, b, c = _files(paths)
    ds = lc.Dataset([a, b], name="atlas").save()
    v1 = ds.add_files(c)
    v1.delete()
    latest = lc.Dataset.latest("atlas")
    assert latest.id == ds.id and latest.is_latest
    assert len(latest.files.list()) == 2

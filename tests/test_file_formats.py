"""Every seed format through File: save, load, backed — on local and S3 storage, on both
catalog back ends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lakecat as lc


@pytest.fixture(params=["local", "s3"])
def storage_instance(request, make_instance, tmp_path):
    """An instance on local or S3 storage, with a DuckDB or Postgres catalog."""
    if request.param == "local":
        storage, options = str(tmp_path / "store"), None
    else:
        url, options = request.getfixturevalue("s3_bucket")
        storage = f"{url}/lab"
    return make_instance(storage, name=make_instance.new_name("f"), storage_options=options)


def _anndata():
    import anndata as ad
    from scipy import sparse

    return ad.AnnData(
        X=sparse.csr_matrix(np.array([[1, 0], [0, 2], [3, 0]], dtype="float32")),
        obs=pd.DataFrame({"cell_type": ["T", "B", "T"]}, index=["c1", "c2", "c3"]),
        var=pd.DataFrame({"symbol": ["CD8A", "CD4"]}, index=["g1", "g2"]),
        uns={"study": "pbmc"},
    )


def _check_anndata(loaded, original) -> None:
    assert list(loaded.obs_names) == list(original.obs_names)
    assert list(loaded.var["symbol"]) == ["CD8A", "CD4"]
    assert loaded.uns["study"] == "pbmc"
    np.testing.assert_array_equal(loaded.X.toarray(), original.X.toarray())


def test_dataframe(storage_instance):
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "c": ["x", "y"]}, index=["r1", "r2"])
    f = lc.File(df, key="t/df.parquet").save()
    pd.testing.assert_frame_equal(f.load(), df)
    assert f.backed().to_table().num_rows == 2
    assert lc.File.get(f.uid).accessor == "DataFrame"


def test_polars_and_arrow(storage_instance):
    import polars as pl
    import pyarrow as pa

    pf = lc.File(pl.DataFrame({"x": [1, 2, 3]}), key="t/pl.parquet").save()
    assert list(pf.load()["x"]) == [1, 2, 3]
    table = pa.table({"y": ["a", "b"]})
    af = lc.File(table, key="t/arrow.parquet").save()
    assert af.accessor == "Table" and af.load().equals(table)


@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_anndata(storage_instance, fmt):
    adata = _anndata()
    f = lc.File(adata, key=f"sc/pbmc.{fmt}", format=fmt).save()
    assert (f.suffix, f.accessor) == (f".{fmt}", "AnnData")
    _check_anndata(f.load(), adata)
    handle = f.backed()
    if fmt == "h5ad":
        assert handle.isbacked and handle.n_obs == 3
    else:
        assert "obs" in handle


def test_mudata(storage_instance):
    import mudata as md

    mdata = md.MuData({"rna": _anndata(), "atac": _anndata()})
    f = lc.File(mdata, key="multi.h5mu").save()
    loaded = f.load()
    assert sorted(loaded.mod) == ["atac", "rna"]
    _check_anndata(loaded.mod["rna"], mdata.mod["rna"])


def test_tiledb(storage_instance, tmp_path):
    import tiledb

    uri = str(tmp_path / "arr.tiledb")
    dom = tiledb.Domain(tiledb.Dim(name="d", domain=(0, 3), tile=4, dtype=np.int32))
    schema = tiledb.ArraySchema(domain=dom, attrs=[tiledb.Attr(name="v", dtype=np.float64)])
    tiledb.Array.create(uri, schema)
    with tiledb.open(uri, "w") as arr:
        arr[:] = np.arange(4, dtype=np.float64)
    f = lc.File(uri).save()
    assert f.accessor == "TileDBArray" and f.hash_type == "blake3-dir"
    np.testing.assert_array_equal(f.load(), np.arange(4))
    with f.backed() as arr:
        np.testing.assert_array_equal(arr[1:3]["v"], [1.0, 2.0])


def test_hdf5(storage_instance, tmp_path):
    import h5py

    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as h5:
        h5["counts"] = np.arange(6).reshape(2, 3)
        h5["meta/ids"] = np.array([7, 8])
    f = lc.File(path).save()
    loaded = f.load()
    np.testing.assert_array_equal(loaded["counts"], np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(loaded["meta"]["ids"], [7, 8])
    with f.backed() as h5:
        assert list(h5["meta/ids"][:]) == [7, 8]

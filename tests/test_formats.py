"""The formats package: round trips, backed access (local and S3), registry and errors."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import formats
from formats import registry
from formats.anndata_ import H5AD, ZARR
from formats.arrow import ARROW
from formats.base import (
    FormatError,
    MissingDependencyError,
    TargetExistsError,
    UnknownFormatError,
    UnsupportedObjectError,
    require,
)
from formats.dataframe import CSV, PARQUET
from formats.hdf5 import HDF5
from formats.mudata_ import H5MU
from formats.tiledb_ import TILEDB, s3_config

FORMATS_DIR = Path(formats.__file__).parent
pytestmark = [
    pytest.mark.filterwarnings("ignore:Writing zarr v2 data:UserWarning"),  # anndata's notice
    pytest.mark.filterwarnings("ignore:From 0.4 .update:FutureWarning"),  # mudata's notice
]
HEAVY = ("pandas", "polars", "pyarrow", "anndata", "mudata", "tiledb", "h5py", "zarr", "s3fs")


# ---------------------------------------------------------------- helpers and fixtures


def upload(local: Path, bucket: tuple[str, dict]) -> str:
    """Put a local file or folder into the test bucket; return its s3:// URL."""
    import s3fs

    url, options = bucket
    remote = f"{url}/{local.name}"
    s3fs.S3FileSystem(**options).put(str(local), remote, recursive=local.is_dir())
    return remote


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "count": np.array([1, 2, 3], dtype="int32"),
            "score": [0.5, np.nan, 2.25],
            "label": pd.Categorical(["b", "a", "b"], categories=["a", "b"]),
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "name": pd.array(["x", None, "z"], dtype="string"),
            "when": pd.date_range("2024-01-01", periods=3, tz="UTC"),
            "flag": [True, False, True],
        },
        index=pd.Index(["r1", "r2", "r3"], name="id"),
    )


def make_adata(sparse: bool = False):
    import anndata as ad
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    x = rng.poisson(1.0, size=(6, 4)).astype("float32")
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical(list("ababab")), "n_genes": np.arange(6)},
        index=[f"cell{i}" for i in range(6)],
    )
    var = pd.DataFrame({"symbol": list("ABCD")}, index=[f"g{i}" for i in range(4)])
    uns = {"title": "demo", "params": {"k": 3, "weights": np.array([0.1, 0.2])}}
    return ad.AnnData(sp.csr_matrix(x) if sparse else x, obs=obs, var=var, uns=uns)


def dense(matrix) -> np.ndarray:
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)


def assert_adata_equal(got, want) -> None:
    pd.testing.assert_frame_equal(got.obs, want.obs)
    pd.testing.assert_frame_equal(got.var, want.var)
    np.testing.assert_array_equal(dense(got.X), dense(want.X))
    assert type(got.X) is type(want.X)
    assert got.X.dtype == want.X.dtype
    assert got.uns["title"] == "demo"
    assert got.uns["params"]["k"] == 3
    np.testing.assert_array_equal(got.uns["params"]["weights"], [0.1, 0.2])


def make_mudata():
    import mudata as md

    rna, atac = make_adata(), make_adata(sparse=True)[:, :2].copy()
    atac.var_names = ["peak0", "peak1"]
    return md.MuData({"rna": rna, "atac": atac})


def tiledb_dense(path: Path) -> Path:
    import tiledb

    tiledb.from_numpy(str(path), np.arange(12, dtype="int64").reshape(3, 4))
    return path


def tiledb_sparse(path: Path) -> Path:
    import tiledb

    dims = [tiledb.Dim(n, domain=(0, 9), tile=10, dtype=np.int32) for n in ("row", "col")]
    schema = tiledb.ArraySchema(
        domain=tiledb.Domain(*dims), sparse=True, attrs=[tiledb.Attr("v", dtype=np.float64)]
    )
    tiledb.Array.create(str(path), schema)
    with tiledb.open(str(path), "w") as array:
        array[np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)] = np.array(
            [1.5, 2.5]
        )
    return path


def hdf5_tree() -> dict:
    return {
        "counts": np.arange(6, dtype="int16").reshape(2, 3),
        "names": np.array(["alpha", "b"]),
        "nested": {"values": np.linspace(0, 1, 4), "deeper": {"flag": np.array([True])}},
    }


def assert_tree_equal(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        if isinstance(value, dict):
            assert_tree_equal(got[key], value)
        else:
            np.testing.assert_array_equal(got[key], value)
            assert got[key].dtype == value.dtype


# ---------------------------------------------------------------- package hygiene


def test_import_formats_imports_no_heavy_library():
    code = f"import sys, formats; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_formats_never_imports_the_catalog():
    for source in FORMATS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in ("lakecat", "catalog_sql"), source.name


# ---------------------------------------------------------------- DataFrames and Arrow


def test_pandas_round_trip_keeps_values_dtypes_and_index(tmp_path):
    df = frame()
    PARQUET.write(df, tmp_path / "df.parquet")
    got = PARQUET.load(tmp_path / "df.parquet")
    pd.testing.assert_frame_equal(got, df)
    assert got.index.name == "id"


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(3),
        pd.Index([10, 20, 30]),
        pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["k", "n"]),
    ],
    ids=["range", "int", "multi"],
)
def test_pandas_round_trip_index_kinds(tmp_path, index):
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=index)
    PARQUET.write(df, tmp_path / "df.parquet")
    got = PARQUET.load(tmp_path / "df.parquet")
    pd.testing.assert_frame_equal(got, df)
    assert type(got.index) is type(df.index)


def test_polars_round_trip_loads_as_pandas(tmp_path):
    import polars as pl

    df = pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None], "c": [0.5, 1.5, None]})
    assert registry.for_object(df) is PARQUET
    PARQUET.write(df, tmp_path / "pl.parquet")
    got = PARQUET.load(tmp_path / "pl.parquet")
    pd.testing.assert_frame_equal(got, df.to_pandas())
    assert pl.from_pandas(got).equals(df)


def test_polars_lazyframe_is_streamed_to_parquet(tmp_path):
    import polars as pl

    lazy = pl.LazyFrame({"a": [1, 2, 3]}).with_columns(b=pl.col("a") * 2)
    PARQUET.write(lazy, tmp_path / "lazy.parquet")
    assert PARQUET.load(tmp_path / "lazy.parquet")["b"].tolist() == [2, 4, 6]


def test_pyarrow_round_trip(tmp_path):
    import pyarrow as pa

    table = pa.table(
        {"i": pa.array([1, None], pa.int32()), "s": ["a", "b"], "l": [[1, 2], []]},
        metadata={"origin": "test"},
    )
    assert registry.for_object(table) is ARROW
    ARROW.write(table, tmp_path / "t.parquet")
    got = ARROW.load(tmp_path / "t.parquet")
    assert got.equals(table)  # list children are renamed "element" (parquet spec); same data
    assert got.schema.metadata == table.schema.metadata
    assert got.schema.types == table.schema.types


def test_parquet_backed_is_a_lazy_dataset(tmp_path):
    import pyarrow.dataset as ds

    PARQUET.write(frame(), tmp_path / "df.parquet")
    dataset = PARQUET.backed(tmp_path / "df.parquet")
    assert isinstance(dataset, ds.Dataset)
    assert dataset.count_rows() == 3
    assert dataset.to_table(columns=["count"]).column("count").to_pylist() == [1, 2, 3]
    assert isinstance(ARROW.backed(str(tmp_path / "df.parquet")), ds.Dataset)


def test_parquet_backed_on_s3(tmp_path, s3_bucket):
    import pyarrow.dataset as ds

    PARQUET.write(frame(), tmp_path / "df.parquet")
    url = upload(tmp_path / "df.parquet", s3_bucket)
    dataset = PARQUET.backed(url, s3_bucket[1])
    assert isinstance(dataset, ds.Dataset)
    assert dataset.to_table(filter=ds.field("count") > 1).num_rows == 2


@pytest.mark.parametrize(("name", "sep"), [("t.csv", ","), ("t.tsv", "\t")])
def test_csv_and_tsv_load_and_backed(tmp_path, name, sep):
    path = tmp_path / name
    path.write_text(f"a{sep}b\n1{sep}x\n2{sep}y\n")
    assert registry.for_path(path) is CSV
    pd.testing.assert_frame_equal(CSV.load(path), pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
    assert CSV.backed(path).to_table().column_names == ["a", "b"]


def test_gzipped_csv_loads(tmp_path):
    path = tmp_path / "t.csv.gz"
    pd.DataFrame({"a": [1, 2]}).to_csv(path, index=False)
    assert registry.for_path(path) is CSV
    assert CSV.load(path)["a"].tolist() == [1, 2]


def test_csv_is_read_only(tmp_path):
    with pytest.raises(FormatError, match="parquet"):
        CSV.write(frame(), tmp_path / "t.csv")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- AnnData


@pytest.mark.parametrize("fmt", [H5AD, ZARR], ids=["h5ad", "zarr"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_anndata_round_trip(tmp_path, fmt, sparse):
    adata = make_adata(sparse)
    path = tmp_path / f"a{fmt.suffixes[0]}"
    fmt.write(adata, path)
    assert path.is_dir() is fmt.is_folder
    assert_adata_equal(fmt.load(path), adata)


def test_h5ad_backed_local_keeps_x_on_disk(tmp_path):
    adata = make_adata()
    H5AD.write(adata, tmp_path / "a.h5ad")
    backed = H5AD.backed(tmp_path / "a.h5ad")
    try:
        assert backed.isbacked
        pd.testing.assert_frame_equal(backed.obs, adata.obs)
        np.testing.assert_array_equal(backed.X[1:3], adata.X[1:3])
    finally:
        backed.file.close()


def test_h5ad_backed_on_s3(tmp_path, s3_bucket):
    adata = make_adata(sparse=True)
    H5AD.write(adata, tmp_path / "a.h5ad")
    backed = H5AD.backed(upload(tmp_path / "a.h5ad", s3_bucket), s3_bucket[1])
    try:
        assert backed.isbacked
        assert backed.shape == adata.shape
        pd.testing.assert_frame_equal(backed.var, adata.var)
        np.testing.assert_array_equal(dense(backed.X[2:4]), dense(adata.X[2:4]))
    finally:
        backed.file.close()


def test_zarr_backed_local_and_s3(tmp_path, s3_bucket):
    import zarr

    adata = make_adata()
    ZARR.write(adata, tmp_path / "a.zarr")
    url = upload(tmp_path / "a.zarr", s3_bucket)
    for group in (ZARR.backed(tmp_path / "a.zarr"), ZARR.backed(url, s3_bucket[1])):
        assert isinstance(group, zarr.Group)
        assert group.attrs["encoding-type"] == "anndata"
        np.testing.assert_array_equal(group["X"][2:4], adata.X[2:4])


# ---------------------------------------------------------------- MuData


def test_mudata_round_trip(tmp_path):
    mdata = make_mudata()
    assert registry.for_object(mdata) is H5MU
    H5MU.write(mdata, tmp_path / "m.h5mu")
    got = H5MU.load(tmp_path / "m.h5mu")
    assert list(got.mod) == ["rna", "atac"]
    assert got.shape == mdata.shape
    for name in mdata.mod:
        assert_adata_equal(got[name], mdata[name])


def test_mudata_backed_local_and_s3(tmp_path, s3_bucket):
    import h5py

    mdata = make_mudata()
    H5MU.write(mdata, tmp_path / "m.h5mu")
    backed = H5MU.backed(tmp_path / "m.h5mu")
    assert backed.isbacked
    np.testing.assert_array_equal(backed["rna"].X[0:2], mdata["rna"].X[0:2])
    backed.file.close()
    with H5MU.backed(upload(tmp_path / "m.h5mu", s3_bucket), s3_bucket[1]) as remote:
        assert isinstance(remote, h5py.File)
        assert sorted(remote["mod"]) == ["atac", "rna"]
        np.testing.assert_array_equal(remote["mod/rna/X"][0:2], mdata["rna"].X[0:2])


# ---------------------------------------------------------------- TileDB


def test_tiledb_dense_copy_and_load(tmp_path):
    import tiledb

    source = tiledb_dense(tmp_path / "src.tiledb")
    assert registry.for_object(str(source)) is TILEDB
    TILEDB.write(str(source), tmp_path / "copy.tiledb")
    np.testing.assert_array_equal(
        TILEDB.load(tmp_path / "copy.tiledb"), np.arange(12).reshape(3, 4)
    )
    with tiledb.open(str(source)) as opened:
        assert registry.for_object(opened) is TILEDB
        TILEDB.write(opened, tmp_path / "from_open.tiledb")
    assert TILEDB.load(tmp_path / "from_open.tiledb").dtype == np.int64


def test_tiledb_sparse_loads_coordinates_and_values(tmp_path):
    got = TILEDB.load(tiledb_sparse(tmp_path / "sparse.tiledb"))
    assert sorted(got) == ["col", "row", "v"]
    np.testing.assert_array_equal(got["row"], [1, 2])
    np.testing.assert_array_equal(got["col"], [3, 4])
    np.testing.assert_array_equal(got["v"], [1.5, 2.5])


def test_tiledb_write_refuses_a_folder_that_is_not_an_array(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(FormatError, match="not a local TileDB array"):
        TILEDB.write(str(tmp_path / "plain"), tmp_path / "copy.tiledb")
    assert not (tmp_path / "copy.tiledb").exists()


def test_tiledb_backed_local_and_s3(tmp_path, s3_bucket):
    source = tiledb_dense(tmp_path / "arr.tiledb")
    url = upload(source, s3_bucket)
    for opened in (TILEDB.backed(source), TILEDB.backed(url, s3_bucket[1])):
        with opened as array:
            assert not array.schema.sparse
            np.testing.assert_array_equal(array[1:3, 0:2], [[4, 5], [8, 9]])


def test_tiledb_s3_config_from_client_kwargs():
    config = s3_config(
        {"client_kwargs": {"endpoint_url": "https://minio:9000", "region_name": "eu-west-1"}}
    )
    assert config == {
        "vfs.s3.region": "eu-west-1",
        "vfs.s3.endpoint_override": "minio:9000",
        "vfs.s3.scheme": "https",
        "vfs.s3.use_virtual_addressing": "false",
    }


# ---------------------------------------------------------------- HDF5


def test_hdf5_dict_round_trip(tmp_path):
    tree = hdf5_tree()
    assert registry.for_object(tree) is HDF5
    HDF5.write(tree, tmp_path / "t.h5")
    assert_tree_equal(HDF5.load(tmp_path / "t.h5"), tree)


def test_hdf5_copies_an_open_file(tmp_path):
    import h5py

    with h5py.File(tmp_path / "src.hdf5", "w") as src:
        src.attrs["origin"] = "lab"
        src.create_dataset("grp/x", data=np.arange(4))
    with h5py.File(tmp_path / "src.hdf5", "r") as src:
        assert registry.for_object(src) is HDF5
        HDF5.write(src, tmp_path / "copy.hdf5")
    with h5py.File(tmp_path / "copy.hdf5", "r") as copy:
        assert copy.attrs["origin"] == "lab"
    assert_tree_equal(HDF5.load(tmp_path / "copy.hdf5"), {"grp": {"x": np.arange(4)}})


def test_hdf5_backed_local_and_s3(tmp_path, s3_bucket):
    import h5py

    HDF5.write(hdf5_tree(), tmp_path / "t.h5")
    url = upload(tmp_path / "t.h5", s3_bucket)
    for opened in (HDF5.backed(tmp_path / "t.h5"), HDF5.backed(url, s3_bucket[1])):
        with opened as file:
            assert isinstance(file, h5py.File)
            assert file.mode == "r"
            np.testing.assert_array_equal(file["nested/values"][1:3], np.linspace(0, 1, 4)[1:3])


def test_remote_reads_fetch_blocks_not_whole_files(tmp_path, s3_bucket):
    from formats._io import REMOTE_BLOCK_SIZE, open_remote

    blob = tmp_path / "blob.bin"
    blob.write_bytes(np.arange(4 * REMOTE_BLOCK_SIZE // 8, dtype="int64").tobytes())
    with open_remote(upload(blob, s3_bucket), s3_bucket[1]) as remote:
        remote.seek(2 * REMOTE_BLOCK_SIZE + 8)
        assert np.frombuffer(remote.read(8), dtype="int64")[0] == REMOTE_BLOCK_SIZE // 4 + 1
        assert remote.cache.total_requested_bytes == REMOTE_BLOCK_SIZE


# ---------------------------------------------------------------- registry


def test_registry_lookups():
    assert registry.FORMATS == formats.FORMATS
    assert registry.for_suffix(".parquet") is PARQUET
    assert registry.for_suffix(".parquet", accessor="Table") is ARROW
    assert registry.for_suffix(".h5ad") is H5AD
    assert registry.for_suffix(".ZARR") is ZARR
    assert registry.for_suffix(".hdf5") is HDF5
    assert registry.for_suffix(".h5ad", accessor="Table") is None
    assert registry.for_suffix(".txt") is None
    assert registry.by_name("pyarrow") is ARROW
    assert {fmt.name for fmt in registry.FORMATS} == {
        "parquet",
        "pyarrow",
        "csv",
        "h5ad",
        "zarr",
        "h5mu",
        "tiledb",
        "hdf5",
    }


def test_for_object_picks_the_default_format():
    import anndata as ad

    assert registry.for_object(pd.DataFrame()) is PARQUET
    assert registry.for_object(ad.AnnData(np.zeros((1, 1)))) is H5AD


@pytest.mark.parametrize(
    ("path", "suffix"),
    [
        ("a/b/cells.h5ad", ".h5ad"),
        ("s3://bucket/dir/table.parquet", ".parquet"),
        ("s3://bucket/x.h5ad?versionId=3", ".h5ad"),
        ("/data/pbmc.zarr/", ".zarr"),
        ("/data/img.ome.zarr", ".zarr"),
        ("counts.TSV.GZ", ".TSV.GZ"),
        ("archive.gz", ".gz"),
        ("README", ""),
        (".hidden", ""),
        ("v1.2-final", ""),
    ],
)
def test_suffix_of(path, suffix):
    assert registry.suffix_of(path) == suffix


def test_for_path_detects_folders_by_content(tmp_path):
    array = tiledb_dense(tmp_path / "no_suffix")
    assert registry.for_path(array) is TILEDB
    assert registry.for_path(array, accessor="AnnData") is None
    ZARR.write(make_adata(), tmp_path / "store")
    assert registry.for_path(tmp_path / "store") is ZARR
    assert registry.for_path("s3://bucket/x.tiledb") is TILEDB
    assert registry.for_path("s3://bucket/x.parquet", accessor="Table") is ARROW
    assert registry.for_path(tmp_path / "nothing.txt") is None


# ---------------------------------------------------------------- errors


def test_missing_dependency_names_the_extra():
    with pytest.raises(MissingDependencyError, match=r"pip install 'lakecat\[x\]'") as info:
        require("lakecat_no_such_module", "x")
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, FormatError)


def test_import_error_inside_a_library_call_names_the_extra():
    from formats._io import typed_errors

    with (
        pytest.raises(MissingDependencyError, match=r"pip install 'lakecat\[anndata\]'"),
        typed_errors("Cannot write AnnData as zarr", "anndata"),
    ):
        import lakecat_no_such_module  # noqa: F401


def test_unsupported_object_lists_supported_types():
    with pytest.raises(UnsupportedObjectError, match="builtins.list") as info:
        registry.for_object([1, 2])
    message = str(info.value)
    for name in ("pandas.DataFrame", "pyarrow.Table", "anndata.AnnData", "mudata.MuData"):
        assert name in message
    assert isinstance(info.value, TypeError)
    assert not HDF5.accepts({}) and not HDF5.accepts({"a": [1]})


def test_unknown_format_name_suggests_the_nearest():
    with pytest.raises(UnknownFormatError, match="did you mean h5ad"):
        registry.by_name("h5da")
    with pytest.raises(LookupError):
        registry.by_name("nope")


def test_write_never_overwrites(tmp_path):
    target = tmp_path / "df.parquet"
    target.write_bytes(b"keep me")
    with pytest.raises(TargetExistsError, match="already exists"):
        PARQUET.write(frame(), target)
    assert target.read_bytes() == b"keep me"
    with pytest.raises(FileExistsError):
        ZARR.write(make_adata(), tmp_path)


def test_failed_write_leaves_nothing_behind(tmp_path):
    bad = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(FormatError, match="Duplicate column names"):
        PARQUET.write(bad, tmp_path / "sub" / "bad.parquet")
    assert list((tmp_path / "sub").iterdir()) == []


def test_write_to_a_url_is_refused():
    with pytest.raises(FormatError, match="local paths"):
        PARQUET.write(frame(), "s3://bucket/df.parquet")


def test_load_missing_path_and_corrupt_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        H5AD.load(tmp_path / "missing.h5ad")
    with pytest.raises(FileNotFoundError):
        TILEDB.backed(tmp_path / "missing.tiledb")
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet at all")
    with pytest.raises(FormatError, match="corrupt.parquet"):
        PARQUET.load(corrupt)
    with pytest.raises(FormatError):
        HDF5.load(corrupt)


def test_backed_s3_missing_key_raises_file_not_found(s3_bucket):
    with pytest.raises(FileNotFoundError):
        HDF5.backed(f"{s3_bucket[0]}/missing.h5", s3_bucket[1])

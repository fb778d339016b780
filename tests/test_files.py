"""Files: content-hashed blobs, dedupe, keys, versions, stage/load/backed, delete and gc."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import lakecat as lc
from lakecat.errors import InvalidKeyError


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "counts.csv"
    path.write_text("gene,count\nCD8A,3\nCD4,5\n")
    return path


def blob_path(file: lc.File) -> Path:
    return Path(file.path)


def test_save_path_records_hash_and_copies_blob(instance, csv_file):
    import blake3

    f = lc.File(csv_file, description="raw counts").save()
    assert f.hash == blake3.blake3(csv_file.read_bytes()).hexdigest()
    assert (f.hash_type, f.size, f.suffix) == ("blake3", csv_file.stat().st_size, ".csv")
    assert blob_path(f).read_bytes() == csv_file.read_bytes()
    assert blob_path(f).name == f"{f.uid}.csv"
    got = lc.File.get(f.uid)
    assert got.blob == f.blob and got.version == "1" and got.is_latest
    assert list(got.load()["gene"]) == ["CD8A", "CD4"]
    assert lc.File.filter(suffix=".csv", description__icontains="RAW").count() == 1


def test_same_bytes_return_the_existing_record(instance, csv_file, tmp_path):
    first = lc.File(csv_file).save()
    copy = tmp_path / "copy.csv"
    copy.write_bytes(csv_file.read_bytes())
    again = lc.File(copy, description="other").save()
    assert again.id == first.id and again.uid == first.uid
    assert again.description == first.description
    objects = Path(instance.config.storage) / ".lakecat" / "objects"
    assert sorted(p.name for p in objects.iterdir()) == [f"{first.uid}.csv"]
    assert lc.File.filter().count() == 1


def test_dataframe_round_trip(instance):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"cell": ["a", "b"], "n_genes": [10, 20]})
    f = lc.File(df, key="tables/cells.parquet").save()
    assert (f.key, f.suffix, f.accessor) == ("tables/cells.parquet", ".parquet", "DataFrame")
    pd.testing.assert_frame_equal(f.load(), df)
    assert lc.File.filter(key__startswith="tables/").one() == f


@pytest.mark.parametrize(
    "key",
    ["/abs/path.csv", "../escape.csv", "a/../../b.csv", "a//b.csv", "a/b/", "", "x\x00y", "C:/x",
     ".lakecat/objects/x", "a\\b.csv", "s3://bucket/x"],
)  # fmt: skip
def test_bad_keys_are_refused_and_change_nothing(instance, csv_file, key):
    with pytest.raises(InvalidKeyError):
        lc.File(csv_file, key=key).save()
    assert lc.File.filter().count() == 0
    assert not (Path(instance.config.storage) / ".lakecat" / "objects").exists()


def test_missing_source_is_a_typed_error(instance, tmp_path):
    with pytest.raises(lc.NotFoundError, match="No file or folder"):
        lc.File(tmp_path / "nope.csv")
    with pytest.raises(lc.ValidationError, match="Save the File"):
        lc.File(pd.DataFrame({"x": [1]}), key="x.parquet").stage()


def test_versions_by_key_and_by_is_new_version_of(instance, tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"v{i}.csv")
        paths[-1].write_text(f"a,b\n{i},{i}\n")
    v1 = lc.File(paths[0], key="data/table.csv").save()
    v2 = lc.File(paths[1], key="data/table.csv").save()
    v3 = lc.File(paths[2], is_new_version_of=v2).save()
    assert [f.version for f in v3.versions] == ["1", "2", "3"]
    assert [f.is_latest for f in v1.versions] == [False, False, True]
    assert v2.initial_version_id == v1.id and v3.initial_version_id == v1.id
    assert list(lc.File.get(v1.uid).load()["a"]) == [0]  # old versions stay loadable


def test_register_in_place(instance):
    root = Path(instance.config.storage)
    inside = root / "raw" / "sample.csv"
    inside.parent.mkdir(parents=True)
    inside.write_text("x\n1\n")
    f = lc.File(inside).save()
    assert f.key == "raw/sample.csv" and f.blob == "raw/sample.csv"
    assert not (root / ".lakecat" / "objects").exists()
    f.delete()
    assert inside.exists()  # files registered in place are the user's: never removed


def test_corrupted_blob_raises_integrity_error(instance, csv_file):
    f = lc.File(csv_file).save()
    path = blob_path(f)
    path.write_text("gene,count\nCD8A,999\n")
    with pytest.raises(lc.IntegrityError, match="no longer match"):
        lc.File.get(f.uid).load()


def test_delete_removes_blob_and_gc_finds_orphans(instance, csv_file, tmp_path):
    from lakecat.files.maintenance import gc

    f = lc.File(csv_file).save()
    path = blob_path(f)
    f.delete()
    assert not path.exists()
    orphan = Path(instance.config.storage) / ".lakecat" / "objects" / "orphan.csv"
    orphan.write_text("left over by a crash")
    (tmp_path / "k.csv").write_text("k")
    kept = lc.File(tmp_path / "k.csv").save()
    assert gc() == []  # too young: might belong to a save in progress
    assert gc(min_age=0) == [".lakecat/objects/orphan.csv"]  # dry run by default
    assert orphan.exists()
    assert gc(dry_run=False, min_age=0) == [".lakecat/objects/orphan.csv"]
    assert not orphan.exists() and blob_path(kept).exists()


def test_folder_hash_is_deterministic(instance, tmp_path):
    folder = tmp_path / "arr.zarr"
    (folder / "sub").mkdir(parents=True)
    (folder / "a").write_bytes(b"1")
    (folder / "sub" / "b").write_bytes(b"2")
    f = lc.File(folder).save()
    assert f.hash_type == "blake3-dir" and f.n_objects == 2 and f.size == 2
    assert sorted(os.listdir(blob_path(f))) == ["a", "sub"]
    from lakecat.files.storage import StorageRoot

    assert StorageRoot(str(tmp_path)).digest("arr.zarr").hash == f.hash


def test_bulk_save_of_many_small_files(instance, tmp_path):
    paths = []
    for i in range(200):
        paths.append(tmp_path / f"f{i}.txt")
        paths[-1].write_bytes(f"file {i}".encode() * 10)
    files = lc.save([lc.File(p) for p in paths])
    assert lc.File.filter().count() == 200
    assert all(blob_path(f).exists() for f in files[:5])
    again = lc.save([lc.File(p) for p in paths[:10]])
    assert [f.id for f in again] == [f.id for f in files[:10]]
    assert lc.File.filter().count() == 200


def test_s3_storage_round_trip(s3_bucket, make_instance, csv_file):
    url, options = s3_bucket
    make_instance(f"{url}/lab", name=make_instance.new_name("s3lab"), storage_options=options)
    f = lc.File(csv_file, key="raw/counts.csv").save()
    assert f.path == f"{url}/lab/.lakecat/objects/{f.uid}.csv"
    staged = f.stage()
    assert staged.read_bytes() == csv_file.read_bytes()
    assert f.stage() == staged  # reused from the cache
    assert list(f.load()["count"]) == [3, 5]
    import s3fs

    fs = s3fs.S3FileSystem(**options)
    fs.pipe(f.path, b"tampered")
    staged.unlink()
    with pytest.raises(lc.IntegrityError):
        f.stage()


def test_features_from_df_are_reused(instance):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"cell": ["a"], "n_genes": [1]})
    f1 = lc.File.from_df(df, key="a.parquet").save()
    f2 = lc.File.from_df(df.assign(n_genes=[2]), key="b.parquet").save()
    fs1, fs2 = f1.features["columns"], f2.features["columns"]
    assert fs1 == fs2 and fs1.n == 2
    assert sorted((f.name, f.type) for f in fs1.features.list()) == [  # the vocabulary
        ("cell", "str"),
        ("n_genes", "int"),
    ]
    assert lc.Feature.filter().count() == 2
    assert lc.File.filter(feature_sets__features__name="n_genes").count() == 2


def test_features_from_anndata(instance):
    ad = pytest.importorskip("anndata")
    import numpy as np
    import pandas as pd

    adata = ad.AnnData(
        X=np.ones((3, 2), dtype="float32"),
        obs=pd.DataFrame({"cell_type": ["T", "B", "T"]}, index=["c1", "c2", "c3"]),
        var=pd.DataFrame({"symbol": ["CD8A", "CD4"]}, index=["g1", "g2"]),
    )
    f = lc.File.from_anndata(adata, field="symbol", key="sc/pbmc.h5ad").save()
    assert f.accessor == "AnnData"
    names = sorted(x.name for x in f.features["var"].features.list())
    assert names == ["CD4", "CD8A"]
    assert [x.name for x in f.features["obs"].features.list()] == ["cell_type"]
    loaded = f.load()
    assert list(loaded.obs["cell_type"]) == ["T", "B", "T"]


def test_progress_bar_only_on_a_terminal():
    import io

    from lakecat.files.progress import THRESHOLD, transfer_bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert transfer_bar(THRESHOLD, "x", stream=io.StringIO()) is None  # piped: quiet
    assert transfer_bar(THRESHOLD - 1, "x", stream=Terminal()) is None  # small: quiet
    screen = Terminal()
    advance = transfer_bar(THRESHOLD, "upload", stream=screen)
    advance(THRESHOLD // 2)
    advance(THRESHOLD - THRESHOLD // 2)
    last = screen.getvalue().split("\r")[-1]
    assert last.startswith("upload [" + "#" * 30 + "]") and " 100.0% " in last
    assert last.endswith("\n")


def test_large_file_one_pass_hash_and_copy(instance, tmp_path):
    """Files over one chunk take the mapped-hash + kernel-copy path (local) or the
    writer-thread path (S3 multipart); both must store exact bytes and the full hash."""
    import blake3

    from lakecat.files.storage import CHUNK

    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(CHUNK * 2 + 12345))
    f = lc.File(path).save()
    assert f.size == path.stat().st_size
    assert f.hash == blake3.blake3(path.read_bytes()).hexdigest()
    assert blob_path(f).read_bytes() == path.read_bytes()


def test_large_file_on_s3(s3_bucket, make_instance, tmp_path):
    import blake3

    from lakecat.files.storage import CHUNK

    url, options = s3_bucket
    make_instance(f"{url}/big", name=make_instance.new_name("s3big"), storage_options=options)
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(CHUNK + 999))
    f = lc.File(path).save()
    assert f.hash == blake3.blake3(path.read_bytes()).hexdigest()
    assert f.stage().read_bytes() == path.read_bytes()


def test_failed_saves_leave_no_blob_and_can_be_retried(instance, csv_file):
    f = lc.File(csv_file)
    bad = lc.FeatureSet()
    bad.__dict__["n"] = 2**70  # slipped past validation: the whole save must fail
    with pytest.raises(lc.LakecatError):
        lc.save([f, bad])
    objects = Path(instance.config.storage) / ".lakecat" / "objects"
    assert not objects.exists() or not any(objects.iterdir())
    assert f.hash is None and f.id is None
    f.save()  # the retry writes the blob again
    assert blob_path(f).read_bytes() == csv_file.read_bytes()
    f.delete()
    with pytest.raises(lc.ValidationError, match="deleted together with its blob"):
        f.save()
    with pytest.raises(lc.ValidationError, match="saved File"):
        lc.File(csv_file, is_new_version_of=lc.File(pd.DataFrame({"x": [1]}))).save()
    assert not objects.exists() or not any(objects.iterdir())


def test_a_flipped_byte_with_its_mtime_restored_is_caught(instance, csv_file):
    f = lc.File(csv_file).save()
    path = blob_path(f)
    assert f.stage() == path  # verified once in this process
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # hide the change
    assert path.stat().st_size == before.st_size
    with pytest.raises(lc.IntegrityError, match="no longer match"):
        f.stage()  # before: the corrupted file was returned


def test_odd_sources_are_refused(instance, tmp_path):
    with pytest.raises(lc.ValidationError, match="the path is empty"):
        lc.File("")  # before: registered the working directory
    with pytest.raises(lc.ValidationError, match="holds a lakecat instance"):
        lc.File(instance.config.storage)  # before: the root itself, .lakecat/ included
    with pytest.raises(lc.InstanceError, match="names no bucket"):
        lc.init(storage="s3://")  # before: an instance named "s3"
    assert lc.File.filter().count() == 0

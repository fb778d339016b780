"""``lakecat demo``: a guided tour on a fresh embedded instance."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path


def _demo_files(lc, run, echo):
    """Save a DataFrame as a File (features registered), a new version, then load it."""
    import pandas as pd

    cells = pd.DataFrame(
        {"cell_type": ["T cell", "B cell", "T cell"], "n_genes": [1200, 950, 1430]},
        index=["c1", "c2", "c3"],
    )
    file = lc.File.from_df(cells, key="results/cells.parquet", run=run).save()
    echo(f">>> lc.File.from_df(cells, key='results/cells.parquet').save()\n{file!r}")
    echo(f"  blob {file.path}\n  blake3 {file.hash[:16]}…, {file.size} bytes")
    columns = sorted(f.name for f in file.features["columns"].features.list())
    echo(f"  features (columns): {', '.join(columns)}")
    same = lc.File(cells, key="elsewhere.parquet").save()
    echo(f"# the same bytes again return the same record: {same.uid == file.uid}")
    more = pd.concat([cells, cells.assign(n_genes=cells.n_genes + 1)])
    v2 = lc.File.from_df(more, key="results/cells.parquet", run=run).save()
    echo(f"# same key, new bytes → version {v2.version}; versions: "
         f"{[f.version for f in v2.versions]}")  # fmt: skip
    latest = lc.File.get(key="results/cells.parquet")
    echo(f">>> lc.File.get(key='results/cells.parquet').version  # the latest\n{latest.version!r}")
    echo(f">>> lc.File.get('{file.uid}').load()\n{lc.File.get(file.uid).load()}\n")
    return v2


def _demo_dataset(lc, echo) -> None:
    """A Delta dataset: create, append, time travel, query in place."""
    import pandas as pd

    qc = pd.DataFrame({"cell_type": ["T cell", "B cell", "T cell"], "n_genes": [1200, 950, 1430]})
    v0 = lc.Dataset(qc, name="cell-qc", description="QC per cell").save()
    ds = v0.append(pd.DataFrame({"cell_type": ["NK cell"], "n_genes": [800]}))
    echo(">>> v0 = lc.Dataset(qc, name='cell-qc').save(); ds = v0.append(nk)")
    echo(ds.versions()[["version", "rows", "operation", "is_latest"]].to_string(index=False))
    echo(
        f">>> v0.load().shape, ds.load().shape  # each record reads its own version\n"
        f"{v0.load().shape} {ds.load().shape}"
    )
    echo(
        f">>> lc.Dataset.get(name='cell-qc').version  # get(name=) means the latest\n"
        f"{lc.Dataset.get(name='cell-qc').version!r}"
    )
    sql = "SELECT cell_type, avg(n_genes) AS mean_genes FROM self GROUP BY 1 ORDER BY 1"
    echo(f">>> ds.query({sql!r})\n{ds.query(sql).to_string(index=False)}")
    echo(f"# Delta table at {ds.path}; in the DuckDB shell: SELECT * FROM ds_cell_qc\n")


def _demo_collection(lc, echo) -> None:
    """A dataset of AnnData files: versions by files, load(join=), mapped() for learning."""
    try:
        import anndata as ad
        import numpy as np
        import pandas as pd
        import scipy.sparse as sp
    except ImportError:
        echo("# datasets of AnnData files and mapped(): pip install 'lakecat[anndata]'\n")
        return
    rng = np.random.default_rng(0)
    files = []
    for k, (labels, n_genes) in enumerate([(["T cell", "B cell"], 40), (["B cell", "NK cell"], 36),
                                           (["T cell", "monocyte"], 38)]):  # fmt: skip
        genes = [f"GENE{i}" for i in rng.permutation(44)[:n_genes]]
        obs = pd.DataFrame({"cell_type": pd.Categorical(rng.choice(labels, 200))},
                           index=[f"part{k}-{i}" for i in range(200)])  # fmt: skip
        X = sp.random(200, n_genes, density=0.2, format="csr", dtype=np.float32, random_state=k)
        adata = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=genes))
        files.append(lc.File(adata, key=f"atlas/part{k}.h5ad").save())
    ds = lc.Dataset(files[:2], name="pbmc-atlas").save()
    ds = ds.add_files(files[2])
    echo(">>> ds = lc.Dataset([f0, f1], name='pbmc-atlas').save(); ds = ds.add_files(f2)")
    echo(ds.versions()[["version", "rows", "operation", "is_latest"]].to_string(index=False))
    echo(f">>> ds.load(join='inner').shape  # one AnnData, the common genes\n"
         f"{ds.load(join='inner').shape}")  # fmt: skip
    m = ds.mapped(obs_keys=["cell_type"], join="inner")
    row = m[345]
    echo(f">>> m = ds.mapped(obs_keys=['cell_type']); len(m), m[345]['X'].shape, "
         f"m[345]['cell_type']\n{len(m)} {row['X'].shape} {int(row['cell_type'])}")  # fmt: skip
    echo(f">>> m.encoders['cell_type']\n{m.encoders['cell_type']}")
    echo("# m works with a PyTorch DataLoader (read from the files, opened per worker):\n"
         "#   DataLoader(m, batch_size=256, shuffle=True, num_workers=4)\n")  # fmt: skip


def _demo_mesh(lc, root: Path, shared: str, echo) -> None:
    """A second instance: read it, join it in SQL, copy a File from it."""
    import pandas as pd

    here = lc.connect(root).name
    partner = lc.init(storage=str(root / "partner"), name=f"{here}_partner")
    lc.File(shared, key="from-lab/cells.parquet").save()  # bytes the demo instance has too
    extra = lc.File(pd.DataFrame({"marker": ["CD8A", "MS4A1"]}), key="markers.parquet").save()
    lc.connect(root)
    echo(f"# a second instance {partner.name!r} (storage {root / 'partner'})")
    echo(f">>> lc.File.using({partner.name!r}).filter().count()\n"
         f"{lc.File.using(partner.name).filter().count()}")  # fmt: skip
    statement = (f"SELECT a.key AS here, b.key AS there FROM file a "
                 f"JOIN {partner.name}.file b USING (hash)")  # fmt: skip
    echo(f">>> lc.sql({statement!r})\n{lc.sql(statement).to_pandas().to_string(index=False)}")
    copied = lc.File.using(partner.name).get(extra.uid).save()
    echo(f">>> lc.File.using({partner.name!r}).get({extra.uid!r}).save()  # transfer\n"
         f"{copied!r}\n  blob referenced where it lies: {copied.path}\n")  # fmt: skip


def _demo_lineage(lc, file, root, echo) -> None:
    """A tracked function consumes the file and writes a report; show the lineage."""

    @lc.tracked(name="summarise cells")
    def summarise(key: str, top: int = 2):
        cells = lc.File.get(key=key).load()  # get(key=) is the latest version
        counts = cells["cell_type"].value_counts().head(top).rename_axis("cell_type")
        return lc.File(counts.reset_index(), key="reports/top-cell-types.parquet").save()

    report = summarise("results/cells.parquet")
    echo(">>> @lc.tracked() def summarise(key, top=2): ...; summarise('results/cells.parquet')")
    echo(lc.lineage.as_text(report))
    svg = root / "lineage.svg"
    report.view_lineage(path=str(svg))
    echo(f"# lineage picture written to {svg} (lakecat lineage {report.uid} --out x.svg)")
    try:
        lc.File.get(key="results/cells.parquet").delete()
    except lc.IntegrityError as err:
        echo(f">>> lc.File.get(key='results/cells.parquet').delete()\nIntegrityError: {err}\n")


def _demo_curation(lc, instance, echo) -> None:
    """Ontologies and curation: public terms, validation, a curator, labels by feature."""
    import pandas as pd

    instance.add_module("bio")
    import lakecat.bio as bt
    from lakecat.bio import sources

    have_sources = bool(sources.available("CellType"))
    if have_sources:
        hits = bt.CellType.public().search("T helper", limit=3)
        echo(">>> bt.CellType.public().search('T helper')  # CL, offline")
        echo(hits[["ontology_id", "name"]].to_string(index=False))
        lc.save(bt.CellType.from_values(["T cell", "B cell"]))
    else:
        echo("# (pip install 'lakecat[bio]' for the public ontologies; terms by hand here)")
        lc.save([bt.CellType(name="T cell", synonyms="T-cell|T lymphocyte"),
                 bt.CellType(name="B cell", synonyms="B-cell|B lymphocyte")])  # fmt: skip
    df = pd.DataFrame(
        {
            "cell_type": ["T cell", "T-cell", "b cell", "B lymphocyte"],
            "donor": ["D1", "D1", "D2", "D2"],
            "n_genes": [1200, 1310, 950, 990],
        }
    )
    echo(f">>> bt.CellType.validate(df.cell_type)\n{bt.CellType.validate(df.cell_type, mute=True)}")
    curator = lc.Curator.from_df(df, categoricals={"cell_type": bt.CellType.name,
                                                   "donor": lc.ULabel.name})  # fmt: skip
    echo(f">>> curator.validate()  # synonyms, a case variant, new donors\n{curator.validate()}")
    curator.standardize()
    curator.add_new_from("donor")
    echo(f">>> curator.standardize(); curator.add_new_from('donor'); curator.validate()\n"
         f"{curator.validate()}  # cell types now: {sorted(set(df.cell_type))}")  # fmt: skip
    file = curator.save_file(key="curated/cells.parquet")
    file.features.add_values({"temperature": 21.5, "protocol": "10x v3"})
    echo(">>> file = curator.save_file(key='curated/cells.parquet')")
    echo(">>> file.features.add_values({'temperature': 21.5, 'protocol': '10x v3'})")
    echo(
        f">>> lc.File.filter(cell_types__name='B cell', features__temperature__gt=20).count()\n"
        f"{lc.File.filter(cell_types__name='B cell', features__temperature__gt=20).count()}"
    )
    echo(f">>> print(file.describe())\n{file.describe()}\n")


MARKER = ".lakecat-demo"


def _fresh_folder(root: Path) -> None:
    """Make ``root`` an empty folder; only a folder an earlier demo created is removed."""
    from catalog_sql.errors import ValidationError

    if root.exists() and not root.is_dir():
        raise ValidationError(f"{root} is a file; give the demo a folder: --path DIR.")
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise ValidationError(
                f"{root} exists and has content that lakecat demo did not create; nothing "
                f"was deleted. Choose an empty or new folder: lakecat demo --path DIR."
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("created by `lakecat demo`; the next demo may replace it\n")


def run_demo(path: str = "./lakecat-demo", *, echo: Callable[[str], None] = print) -> None:
    """Create an instance at ``path``, save labels, filter, search; print the SQL.

    ``path`` must be new, empty, or a folder an earlier demo created (marked by a
    ``.lakecat-demo`` file); anything else is refused, never deleted.
    """
    import lakecat as lc

    root = Path(path).resolve()
    _fresh_folder(root)
    instance = lc.init(storage=str(root))
    echo(f"# created instance {instance.name!r} at {root}")
    echo(f"  catalog: {instance.path / 'catalog.duckdb'} (embedded DuckDB)\n")

    names = ["experiment", "experiment 2", "T cell", "B cell", "CD8+ T cell", "liver", "lung"]
    labels = lc.save([lc.ULabel(name=n, description=f"demo label {n}") for n in names])
    bulk = lc.save([lc.ULabel(name=f"sample {i:04d}") for i in range(1000)])
    echo(f"# saved {len(labels)} labels, then {len(bulk)} more in one bulk save (Arrow)")
    again = lc.ULabel(name="liver").save()
    echo(f"# saving 'liver' again returns the existing record: uid {again.uid}\n")

    transform = lc.Transform(name="demo pipeline", type="pipeline").save()
    run = lc.Run(transform=transform, status="completed", params={"threshold": 0.5}).save()
    file = _demo_files(lc, run, echo)
    _demo_dataset(lc, echo)
    _demo_collection(lc, echo)
    _demo_lineage(lc, file, root, echo)
    file.ulabels.add(labels[2], labels[4])
    echo("# linked the File to a Run of 'demo pipeline' and labelled it 'T cell', 'CD8+ T cell'\n")
    _demo_curation(lc, instance, echo)
    _demo_mesh(lc, root, file.path, echo)

    queries = [
        ("ULabel.filter(name__startswith='exp')", lc.ULabel.filter(name__startswith="exp")),
        ("File.filter(run__transform__name='demo pipeline')",
         lc.File.filter(run__transform__name="demo pipeline")),
        ("File.filter(ulabels__name__in=['T cell', 'B cell'])",
         lc.File.filter(ulabels__name__in=["T cell", "B cell"])),
    ]  # fmt: skip
    for text, qs in queries:
        echo(f">>> lc.{text}.count()\n{qs.count()}")
        echo(f"-- SQL for the DuckDB shell:\n{qs.sql()}\n")

    hits = lc.ULabel.search("experimnt", limit=3)
    echo(">>> lc.ULabel.search('experimnt')  # typo-tolerant, ranked in SQL")
    echo("\n".join(f"  {r.name}" for r in hits) + "\n")
    keys = lc.ULabel.build_search_index()
    indexed = lc.ULabel.search("experimnt", limit=3)
    same = [r.id for r in indexed] == [r.id for r in hits]
    echo(f">>> lc.ULabel.build_search_index()  # sorted keys: search reads ranges, not the table\n"
         f"{keys}\n>>> lc.ULabel.search('experimnt')  # the same ranking: {same}\n"
         f"# (below 50,000 rows the scan is faster, and search keeps using it; from\n"
         f"# 300,000 rows text filters read it too: startswith, iexact, contains, ...;\n"
         f"# build_search_index(prefix_only=True) keeps a key a value: prefixes)\n")  # fmt: skip
    look = lc.ULabel.lookup()
    echo(f">>> lc.ULabel.lookup().cd8_t_cell\n{look.cd8_t_cell!r}\n")

    echo("# the same from the shell:")
    echo(f"  lakecat connect {root}")
    echo("  lakecat ls ulabel --filter name__startswith=exp")
    echo("  lakecat search ulabel experimnt")
    echo("  lakecat search-index ulabel   # build (or rebuild) the search index")
    echo("  lakecat search-index ulabel --prefix-only   # value starts only: prefix filters")
    echo("  lakecat ingest ./results --recursive --glob '*.csv' --key results")
    echo(f"  lakecat show {file.uid}")
    echo(f"  lakecat stage {file.uid}")
    echo("  lakecat gc            # dry run: lists blobs no record points at")
    echo("  lakecat verify --all  # re-hash every blob, re-read every dataset version")
    echo("  lakecat dataset create cell-qc cells.csv; lakecat dataset append cell-qc more.csv")
    echo("  lakecat dataset versions cell-qc; lakecat dataset show cell-qc --version 0")
    echo('  lakecat sql "SELECT cell_type, count(*) FROM ds_cell_qc GROUP BY 1"')
    echo(f'  duckdb -readonly {instance.path / "catalog.duckdb"} "SELECT name FROM ulabel LIMIT 5"')
    lc.disconnect()
    echo("\n# browse it in a web browser (read-only; needs lakecat[serve]):")
    echo(f"lakecat serve {root}")

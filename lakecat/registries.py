"""The core registries, modelled on LaminDB's seed-era schema.

Each is an ordinary :class:`~lakecat.core.record.Record` subclass: nothing here is special-
cased elsewhere. Their tables are created by ``catalog_sql/migrations/core``.
"""

from __future__ import annotations

from .core.fields import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKey,
    IntegerField,
    JSONField,
    ManyToMany,
    TextField,
)
from .core.record import Record
from .datasets.dataset import DatasetMixin
from .files.file import FileMixin
from .lineage.graph import LineageMixin
from .lineage.tracking import TransformMixin


class User(Record, uid_length=8, name_field="handle", search_fields=("handle", "name"),
           created_by=False):  # fmt: skip
    """A person who writes to the catalog."""

    handle = CharField(unique=True, null=False)
    name = CharField()
    email = CharField()


class Storage(Record, uid_length=12, name_field="root", search_fields=("root", "description")):
    """A storage location (local directory or fsspec URL) holding files and datasets."""

    root = CharField(unique=True, null=False)
    description = TextField()
    type = CharField()
    region = CharField()


class Transform(
    TransformMixin,
    LineageMixin,
    Record,
    uid_length=14,
    search_fields=("name", "short_name", "description"),
):
    """A piece of code or a pipeline step that turns inputs into outputs."""

    name = CharField(null=False)
    short_name = CharField()
    description = TextField()
    version = CharField()
    type = CharField()
    reference = CharField()
    reference_type = CharField()
    source_hash = CharField()
    source_code = ForeignKey("File")
    initial_version = ForeignKey("Transform")
    is_latest = BooleanField()


class Run(LineageMixin, Record, uid_length=20, search_fields=("name", "uid"), updated_at=False):
    """One execution of a Transform."""

    transform = ForeignKey("Transform", related_name="runs")
    name = CharField()
    started_at = DateTimeField()
    finished_at = DateTimeField()
    status = CharField()
    error = TextField()
    params = JSONField()
    environment = JSONField()
    reference = CharField()
    reference_type = CharField()
    report = ForeignKey("File")
    is_consecutive = BooleanField()
    input_files = ManyToMany(
        "File", through="run_input_file", source="run_id", target="file_id",
        related_name="input_of",
    )  # fmt: skip
    input_datasets = ManyToMany(
        "Dataset", through="run_input_dataset", source="run_id", target="dataset_id",
        related_name="input_of",
    )  # fmt: skip


class File(
    FileMixin,
    LineageMixin,
    Record,
    uid_length=20,
    search_fields=("key", "description"),
    dedupe_field="hash",
):
    """An immutable blob in storage, identified by its content hash.

    ``File(path_or_object, key=…, description=…)``; see :mod:`lakecat.files`.
    """

    storage = ForeignKey("Storage", related_name="files")
    key = CharField()
    suffix = CharField()
    accessor = CharField()
    description = TextField()
    version = CharField()
    size = IntegerField()
    hash = CharField()
    hash_type = CharField()
    n_objects = IntegerField()
    transform = ForeignKey("Transform", related_name="files")
    run = ForeignKey("Run", related_name="files")
    initial_version = ForeignKey("File")
    is_latest = BooleanField()
    visibility = IntegerField()
    blob = CharField()
    meta = JSONField()  # schema-less metadata, filterable: File.filter(meta__organism="human")
    ulabels = ManyToMany(
        "ULabel", through="file_ulabel", source="file_id", target="ulabel_id",
        related_name="files",
    )  # fmt: skip
    feature_sets = ManyToMany(
        "FeatureSet", through="file_feature_set", source="file_id", target="feature_set_id",
        related_name="files",
    )  # fmt: skip
    modalities = ManyToMany(
        "Modality", through="file_modality", source="file_id", target="modality_id",
        related_name="files",
    )  # fmt: skip
    recreating_runs = ManyToMany(
        "Run", through="file_recreating_run", source="file_id", target="run_id",
        related_name="recreated_files",
    )  # fmt: skip


class Dataset(
    DatasetMixin, LineageMixin, Record, uid_length=20, search_fields=("name", "description")
):
    """A versioned table (Delta or Parquet) or a collection of files.

    ``Dataset(df, name=…)``; see :mod:`lakecat.datasets`.
    """

    name = CharField(null=False)
    description = TextField()
    version = CharField()
    hash = CharField()
    reference = CharField()
    reference_type = CharField()
    format = CharField()
    storage = ForeignKey("Storage", related_name="datasets")
    key = CharField()
    file = ForeignKey("File")
    delta_version = IntegerField()
    n_rows = IntegerField()
    transform = ForeignKey("Transform", related_name="datasets")
    run = ForeignKey("Run", related_name="datasets")
    initial_version = ForeignKey("Dataset")
    is_latest = BooleanField()
    visibility = IntegerField()
    operation = CharField()
    meta = JSONField()  # schema-less metadata, filterable: Dataset.filter(meta__lab="north")
    files = ManyToMany(
        "File", through="dataset_file", source="dataset_id", target="file_id",
        related_name="datasets",
    )  # fmt: skip
    ulabels = ManyToMany(
        "ULabel", through="dataset_ulabel", source="dataset_id", target="ulabel_id",
        related_name="datasets",
    )  # fmt: skip
    feature_sets = ManyToMany(
        "FeatureSet", through="dataset_feature_set", source="dataset_id",
        target="feature_set_id", related_name="datasets",
    )  # fmt: skip


class Feature(Record, uid_length=12, search_fields=("name", "description", "synonyms")):
    """A measured dimension: a column of a table or a variable of an AnnData."""

    name = CharField(null=False)
    type = CharField()
    unit = CharField()
    description = TextField()
    synonyms = TextField()


class FeatureSet(Record, uid_length=20, search_fields=("name",)):
    """A set of features, identified by the hash of its members."""

    name = CharField()
    n = IntegerField()
    type = CharField()
    registry = CharField()
    hash = CharField(unique=True)
    features = ManyToMany(
        "Feature", through="feature_set_feature", source="feature_set_id",
        target="feature_id", related_name="feature_sets",
    )  # fmt: skip


class ULabel(Record, table="ulabel", uid_length=8, name_field="name", search_fields=("name",)):
    """A universal label: a free-text tag with optional parents."""

    name = CharField(unique=True, null=False)
    description = TextField()
    reference = CharField()
    reference_type = CharField()
    parents = ManyToMany(
        "ULabel", through="ulabel_parent", source="child_id", target="parent_id",
        related_name="children",
    )  # fmt: skip


class Modality(Record, uid_length=8, name_field="name", search_fields=("name", "synonyms")):
    """An experimental modality (RNA, protein, chromatin accessibility…)."""

    name = CharField(unique=True, null=False)
    ontology_id = CharField()
    abbr = CharField()
    synonyms = TextField()
    description = TextField()


CORE = (User, Storage, Transform, Run, File, Dataset, Feature, FeatureSet, ULabel, Modality)

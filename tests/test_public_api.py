"""The curated public surface of procatlas."""

import procatlas


def test_all_is_curated_and_importable():
    expected = {"AtlasError", "EngineError", "InputError", "Mapping", "MappingError", "Workspace",
                "WorkspaceError", "__version__", "export", "info", "ingest", "open_workspace", "rejects"}
    assert expected <= set(procatlas.__all__)
    for name in procatlas.__all__:
        assert hasattr(procatlas, name), name
    assert len(procatlas.__all__) == len(set(procatlas.__all__))


def test_no_export_is_shadowed_by_a_subpackage():
    import importlib
    import pkgutil

    subpackages = {m.name for m in pkgutil.iter_modules(procatlas.__path__)}
    assert not (set(procatlas.__all__) & subpackages)
    for name in subpackages:
        importlib.import_module(f"procatlas.{name}")
    for name in procatlas.__all__:
        assert not isinstance(getattr(procatlas, name), type(procatlas)), name


def test_every_error_has_one_root():
    for name in ("InputError", "MappingError", "WorkspaceError", "EngineError"):
        assert issubclass(getattr(procatlas, name), procatlas.AtlasError)

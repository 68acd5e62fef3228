"""The in-memory Great Expectations context the suites are validated in: one per process,
one pandas data source, one whole-dataframe asset per suite.

The file context beside the warehouse (`runner`) only stores the results, for Data Docs.
"""

DATASOURCE = "otp_warehouse"
BATCH_DEFINITION = "mois"
_EPHEMERAL = None  # the in-memory GX context that validates (`in_memory_context`)


def in_memory_context():
    """The in-memory GX context the suites are validated in, created once per process.

    Validating in the file context cost about 1.5 s of bookkeeping per suite (suites,
    validation definitions and checkpoints written and re-read as YAML and JSON) on top of
    the validation itself; the file context only stores the results, for Data Docs."""
    global _EPHEMERAL
    if _EPHEMERAL is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        # Progress bars would flood the Dagster logs; no usage statistics leave the machine.
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        context.variables.analytics_enabled = False
        # An ephemeral context's configuration lives in memory, yet GX serialises all of it
        # (as YAML, growing) at every asset and batch definition added: 22 times for the 11
        # suites, 0.2 s of a small month's run. Nothing reads that copy back.
        context._save_project_config = lambda: None
        context.data_sources.add_pandas(DATASOURCE)
        _EPHEMERAL = context
    return _EPHEMERAL


def batch_definition(context, asset_name: str):
    """The whole-dataframe batch definition of one suite, created on first use."""
    source = context.data_sources.get(DATASOURCE)
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition(BATCH_DEFINITION)
    except KeyError:
        return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


def release_batch(context) -> None:
    """Let go of the frame just validated: the data source's execution engine keeps its last
    batch until the next validation, so a frame of millions of rows would stay alive while
    the next suite (or the next part) reads its own."""
    engine = context.data_sources.get(DATASOURCE).get_execution_engine()
    engine.batch_manager.batch_data_cache.clear()
    engine.batch_manager.reset_batch_cache()

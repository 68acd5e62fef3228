"""Running the monthly job for a list of months, in this process, one after the other."""

import dagster as dg


def run_months(months: list[str]) -> bool:
    """Materialise every asset for each month, on the instance of DAGSTER_HOME.

    Runs show in the Dagster UI like any other. Returns False at the first month that fails
    (later months would use its data).
    """
    from otp_pipeline.definitions import defs  # heavy: imported only when running

    job = defs.resolve_job_def("otp_monthly")
    with dg.DagsterInstance.get() as instance:
        for month in months:
            result = job.execute_in_process(
                partition_key=month, instance=instance, raise_on_error=False
            )
            print(f"{month}: {'success' if result.success else 'FAILED'} (run {result.run_id})")
            if not result.success:
                return False
    return True

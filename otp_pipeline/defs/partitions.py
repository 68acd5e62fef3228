"""Monthly partitions `YYYY-MM` from 2021-01 (contract §1), shared by every asset."""

import dagster as dg

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date="2021-01", fmt="%Y-%m")

# A backfill runs one month per run, in the queue (one writer at a time): the marts are
# rebuilt for one `mois` at a time, and each month's run loads earlier stale months itself.
MONTH_BY_MONTH = dg.BackfillPolicy.multi_run(1)

"""Monthly partitions `YYYY-MM` from 2021-01 (contract §1), shared by every asset."""

import dagster as dg

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date="2021-01", fmt="%Y-%m")

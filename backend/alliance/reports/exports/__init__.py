"""Exports: statements and reports written to XLSX or CSV in the background, with progress.

`export_create` checks who asks and what (nothing is written when it refuses), stores an
ExportJob and queues `alliance.reports.tasks.export_run` once the job is committed (Celery:
a worker with Redis, in-process in the zero-setup default). `export_run` then writes the file:

- STATEMENTS: the statements of one settlement period (all villages, or one), a summary
  sheet (one row per statement, then 合计) and a lines sheet (one row per statement line).
  Lines are streamed from a server-side cursor inside one REPEATABLE READ READ ONLY
  transaction, so both sheets come from the same snapshot and memory stays bounded.
- SALES_REPORT: the rows of alliance.reports.sales.sales_report, run as the job's creator.
- RECONCILIATION: each section of alliance.reports.reconciliation.reconciliation as a sheet.

XLSX is written by openpyxl in write-only mode (rows go to disk as they come; strings are
inline, so no shared-string table grows); CSV is UTF-8 with a BOM (Excel then reads Chinese
right) and holds the sheets one after another, each under a title row, separated by an empty
row. Amounts are numbers with two decimals (XLSX: the exact Decimal with format 0.00; CSV:
"12.50"), weights are kilograms with three decimals, times are Asia/Shanghai.

Progress: `progress_total` is counted first, then `progress_done` is saved every
settings.EXPORT_PROGRESS_EVERY_ROWS rows by a small UPDATE on a second connection in
autocommit, so a poller sees it while the export's own read transaction is still open. (When
export_run is called inside a caller's transaction, e.g. a test, the UPDATE goes through that
transaction instead: nobody else could see the job anyway.)

Failure: any error leaves the job FAILED with a message and no file; a file already stored
is deleted again. The file is written to a temporary folder and stored (MEDIA_ROOT/exports/
YYYY/MM/<random>.<ext>) only once complete.

Modules: jobs (permissions, export_create, export_run, reads), sources (the tables of each
kind), tables (Column/Table and the XLSX and CSV writers).
"""

from alliance.reports.exports.jobs import (
    export_allowed,
    export_ascii_file_name,
    export_create,
    export_file_name,
    export_job_get,
    export_jobs_own,
    export_jobs_visible,
    export_run,
)
from alliance.reports.exports.sources import GROUP_BY, ExportParams
from alliance.reports.exports.tables import Column, Progress, Table, write_csv, write_xlsx

__all__ = [
    "GROUP_BY",
    "Column",
    "ExportParams",
    "Progress",
    "Table",
    "export_allowed",
    "export_ascii_file_name",
    "export_create",
    "export_file_name",
    "export_job_get",
    "export_jobs_own",
    "export_jobs_visible",
    "export_run",
    "write_csv",
    "write_xlsx",
]

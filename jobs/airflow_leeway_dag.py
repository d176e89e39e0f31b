"""Airflow DAG example: Leeway's nightly pipeline, one run per data interval, backfills by date.

Each run passes its logical date as --run-date, so re-running or backfilling a date replaces exactly that date's
partitions; with inputs laid out as daily drops (<table>/dt=YYYY-MM-DD/), a run of a date reads only what was known
on it. A retry resumes at the first stage the failed attempt did not complete (add --force to redo every stage); a
backfill never moves what is served (scores/LATEST, PostgreSQL, the current model) back to an older date.

Leeway's exit code decides what Airflow does:
  0  success;
  1  a failure in Leeway or Spark: retry;
  2  bad command line or configuration, 3 bad input, 5 a data-quality gate failed: a retry gives the same answer,
     so the task fails at once for a person to fix the data, the thresholds (leeway.gates) or the configuration;
  4  another run of the same date holds its lease: nothing was done, retry later.
The run's status file is <output_root>/runs/<date>/status.json (gate results, the failure's stack trace file).
"""
import subprocess
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.operators.python import PythonOperator

LEEWAY_HOME = "/opt/leeway"
NO_RETRY = {2: "bad command line or configuration", 3: "bad input", 5: "a data-quality gate failed"}


def run_leeway(ds, **_):
    """Runs `leeway nightly` for the logical date and maps its exit code to retry or fail."""
    rc = subprocess.run(["jobs/leeway-submit", "nightly", "--run-date", ds], cwd=LEEWAY_HOME).returncode
    if rc == 0:
        return
    status = f"{LEEWAY_HOME}/out/runs/{ds}/status.json"
    if rc in NO_RETRY:
        raise AirflowFailException(f"leeway nightly {ds}: {NO_RETRY[rc]} (exit {rc}); see {status}")
    raise AirflowException(f"leeway nightly {ds} exited {rc} (4: another run holds the date's lease); see {status}")


with DAG(
    dag_id="leeway_nightly",
    start_date=datetime(2026, 11, 1),
    schedule="30 2 * * *",
    catchup=True,          # backfill missed dates in order
    max_active_runs=1,     # one run date at a time: gates compare with the previous date's run
    default_args={"retries": 2, "retry_delay": timedelta(minutes=15)},
    tags=["leeway"],
) as dag:
    PythonOperator(task_id="nightly", python_callable=run_leeway)

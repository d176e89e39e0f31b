"""Airflow DAG example: Leeway's nightly pipeline, one run per data interval, backfills by date.

Each run passes its logical date as --run-date, so re-running or backfilling a date replaces exactly that
date's partitions; a retry resumes at the first stage the failed attempt did not complete (add --force to redo
every stage); a backfill never moves what is served (scores/LATEST, PostgreSQL, the current model) back to an
older date. A non-zero exit code fails the task (1 failure, 2 bad configuration, 3 bad input, 4 another run of the
same date still holds its lease: let Airflow retry later); the run's status file is
<output_root>/runs/<date>/status.json.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

LEEWAY_HOME = "/opt/leeway"

with DAG(
    dag_id="leeway_nightly",
    start_date=datetime(2026, 11, 1),
    schedule="30 2 * * *",
    catchup=True,          # backfill missed dates in order
    max_active_runs=1,     # one run date at a time: later stages build on earlier dates' trends
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10)},
    tags=["leeway"],
) as dag:
    nightly = BashOperator(
        task_id="nightly",
        # {{ ds }} is the run's logical date (YYYY-MM-DD).
        bash_command=f"cd {LEEWAY_HOME} && jobs/leeway-submit nightly --run-date {{{{ ds }}}}",
    )

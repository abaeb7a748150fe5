"""The GitHub Actions workflow runs one job per matrix.yaml release and merges what each job uploads."""

from __future__ import annotations

import yaml

from report.matrix import ROOT, load_matrix

WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "matrix.yml").read_text(encoding="utf-8"))
JOBS = WORKFLOW["jobs"]


def _runs(job: str) -> list[str]:
    return [step["run"] for step in JOBS[job]["steps"] if "run" in step]


def _step(job: str, action: str) -> dict:
    return next(step for step in JOBS[job]["steps"] if step.get("uses", "").startswith(action))


def test_one_job_per_release_and_axis_on_its_python():
    releases = load_matrix().releases
    installs = [*releases, *(release.as_shipped() for release in releases)]
    include = [{"env": job["env"], "python": job["python"]} for job in JOBS["env"]["strategy"]["matrix"]["include"]]
    assert include == [{"env": r.env, "python": r.python} for r in installs], "update the include list from matrix.yaml"
    assert JOBS["env"]["runs-on"] == "${{ matrix.os }}"
    assert JOBS["env"]["strategy"]["fail-fast"] is False


def test_each_job_runs_its_env_and_uploads_its_results_even_when_it_fails():
    assert "tox -e ${{ matrix.env }}" in _runs("env")
    upload = _step("env", "actions/upload-artifact")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "results/${{ matrix.env }}.json"
    assert upload["with"]["name"] == "results-${{ matrix.env }}"


def test_the_report_job_merges_every_upload():
    assert JOBS["report"]["needs"] == "env" and JOBS["report"]["if"] == "always()"
    download = _step("report", "actions/download-artifact")
    assert download["with"] == {"pattern": "results-*", "path": "results", "merge-multiple": True}
    assert "tox -e report -- --results results --require-all" in _runs("report")


def test_the_weekly_run_follows_upstream():
    assert "schedule" in WORKFLOW[True] or "schedule" in WORKFLOW.get("on", {})
    assert "tox -e upstream -- run" in _runs("latest-mode")

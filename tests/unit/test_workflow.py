"""The GitHub Actions workflow runs one job per matrix.yaml release, merges what each job uploads, publishes the
report from main, and gives each job only the token it uses (zizmor in `tox -e lint` audits the rest)."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from contract.matrix import ROOT, load_matrix

WORKFLOW_TEXT = (ROOT / ".github" / "workflows" / "matrix.yml").read_text(encoding="utf-8")
WORKFLOW = yaml.safe_load(WORKFLOW_TEXT)
JOBS = WORKFLOW["jobs"]
# An action pinned to the commit its tag named when it was reviewed, the tag kept as a comment for the reader.
PINNED_USES = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+")
MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def _runs(job: str) -> list[str]:
    return [step["run"] for step in JOBS[job]["steps"] if "run" in step]


def _step(job: str, action: str) -> dict[str, Any]:
    return next(step for step in JOBS[job]["steps"] if step.get("uses", "").startswith(f"{action}@"))


def _steps_using(action: str) -> list[dict[str, Any]]:
    return [step for job in JOBS.values() for step in job["steps"] if step.get("uses", "").startswith(f"{action}@")]


def test_one_job_per_release_and_axis_on_its_python():
    releases = load_matrix().releases
    installs = [*releases, *(release.as_shipped() for release in releases)]
    include = [{"env": job["env"], "python": job["python"]} for job in JOBS["env"]["strategy"]["matrix"]["include"]]
    assert include == [{"env": r.env, "python": r.python} for r in installs], "update the include list from matrix.yaml"
    assert JOBS["env"]["runs-on"] == "${{ matrix.os }}"
    assert JOBS["env"]["strategy"]["fail-fast"] is False


def test_each_job_runs_its_env_and_uploads_its_results_even_when_it_fails():
    run = next(step for step in JOBS["env"]["steps"] if step.get("run") == 'tox -e "$MATRIX_ENV"')
    assert run["env"] == {"MATRIX_ENV": "${{ matrix.env }}"}
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


def test_every_action_is_pinned_to_a_commit_with_its_tag_as_a_comment():
    lines = [line.split("uses:", 1)[1].strip() for line in WORKFLOW_TEXT.splitlines() if "uses:" in line]
    assert lines, "the workflow uses no action at all"
    assert [ref for ref in lines if not PINNED_USES.fullmatch(ref)] == [], "pin as owner/repo@<40-hex sha> # vX.Y.Z"
    # every `uses:` the YAML holds is one of the lines checked above (none hides in a flow mapping)
    assert len(lines) == sum("uses" in step for job in JOBS.values() for step in job["steps"])


def test_no_checkout_leaves_the_token_in_the_workspace():
    checkouts = _steps_using("actions/checkout")
    assert len(checkouts) == 3
    assert [step.get("with", {}).get("persist-credentials") for step in checkouts] == [False] * 3


def test_the_token_can_do_nothing_unless_a_job_asks():
    assert WORKFLOW["permissions"] == {}
    for name, job in JOBS.items():
        if name == "pages":
            continue
        checks_out = any(step.get("uses", "").startswith("actions/checkout@") for step in job["steps"])
        assert job.get("permissions", {}) == ({"contents": "read"} if checks_out else {}), name


def test_only_the_pages_job_writes_and_only_on_a_push_to_main():
    pages = JOBS["pages"]
    assert pages["permissions"] == {"pages": "write", "id-token": "write"}
    assert pages["needs"] == "report" and pages["if"] == MAIN_PUSH
    assert pages["environment"]["name"] == "github-pages"
    actions = [step["uses"].split("@")[0] for step in pages["steps"]]
    assert actions == ["actions/configure-pages", "actions/deploy-pages"]
    upload = _step("report", "actions/upload-pages-artifact")
    assert upload["if"] == MAIN_PUSH and upload["with"] == {"path": "site"}


def test_zizmor_audits_the_workflows_offline_in_lint():
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    assert "zizmor --offline .github/workflows" in tox["testenv:lint"]["commands"].splitlines()
    assert "zizmor" in load_matrix().tools_pins, "pin zizmor under matrix.yaml `tools`, then run `tox -e compile`"


def _gather_site(tmp_path: Path, outputs: dict[str, str]) -> dict[str, str]:
    """Run the report job's site step in a folder holding these report/out files; what it leaves in site/."""
    step = next(step for step in JOBS["report"]["steps"] if step.get("name") == "Gather the Pages site")
    assert step["if"] == MAIN_PUSH
    (tmp_path / "report" / "out").mkdir(parents=True)
    for name, text in outputs.items():
        (tmp_path / "report" / "out" / name).write_text(text, encoding="utf-8")
    subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=tmp_path, check=True)
    return {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "site").iterdir()}


def test_the_site_is_the_html_report_as_index_with_results_json_and_csv(tmp_path):
    outputs = {"report.html": "<html>", "results.json": "{}", "results.csv": "axis", "history.jsonl": "{}"}
    site = _gather_site(tmp_path, outputs)
    assert site == {"index.html": "<html>", "results.json": "{}", "results.csv": "axis"}


def test_the_site_has_no_csv_when_the_report_wrote_none(tmp_path):
    assert _gather_site(tmp_path, {"report.html": "<html>", "results.json": "{}"}) == {
        "index.html": "<html>",
        "results.json": "{}",
    }

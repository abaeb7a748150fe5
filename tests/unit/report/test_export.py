"""The merged data's roadmap parts: text and states for every release where an item's deciding probes differ."""

from __future__ import annotations

from tests.unit.report.test_markdown import measured_data


def test_roadmap_items_carry_their_parts_as_text_and_by_state():
    auth = next(item for item in measured_data()["roadmap"] if item["id"] == "async-auth")
    assert auth["states"]["5.2"] == "blocking"
    assert auth["parts"]["5.2"] == "blocking: auth.password-check; threaded: auth.async-api"
    assert auth["parts_by_state"]["5.2"] == {"blocking": ["auth.password-check"], "threaded": ["auth.async-api"]}
    assert "4.2" not in auth["parts"]  # both absent there: nothing differs


def test_the_known_issues_of_matrix_yaml_reach_the_merged_data():
    issues = measured_data()["known_issues"]
    related = next(issue for issue in issues if issue["probe"] == "orm.related-managers")
    assert related["ticket"] == 34139
    assert related["ticket_url"] == "https://code.djangoproject.com/ticket/34139"
    assert related["fixed_in"] == "4.1.4"

"""Async forms: is there an async way to validate, render or save a form? Absent until Django grows one.

https://docs.djangoproject.com/en/stable/topics/async/
"""

from __future__ import annotations

import pytest
from django import forms

from harness.observers.asyncapis import Api, observe
from harness.observers.work import note_work, sql_work
from harness.rules import apis as rules
from project.probes.models import Author

pytestmark = pytest.mark.usefixtures("transactional_db")


class AuthorForm(forms.ModelForm):
    class Meta:
        model = Author
        fields = ["name"]

    def clean_name(self) -> str:
        note_work()  # validation is the form's own work; where does an async API run it?
        return self.cleaned_data["name"]


@pytest.mark.probe("forms.async")
def test_async_forms(probe):
    def bound() -> AuthorForm:
        return AuthorForm({"name": "formed"})

    apis = [
        Api("ais_valid", bound(), lambda ais_valid: ais_valid()),
        Api("afull_clean", bound(), lambda afull_clean: afull_clean()),
        Api("aerrors", bound(), lambda aerrors: aerrors()),
        Api("arender", bound(), lambda arender: arender()),
        Api("asave", bound(), lambda asave: asave()),
    ]
    with sql_work():
        probe.record(rules.async_apis(observe(apis)))

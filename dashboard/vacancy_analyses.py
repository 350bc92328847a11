"""Vacancy analyses: analyse a vacancy text before generating, watch it finish, reuse its findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from dashboard.recrubo import generations
from dashboard.recrubo.client import client
from dashboard.recrubo.rows import keep

bp = Blueprint("vacancy_analyses", __name__, url_prefix="/vacancy-analyses")
MUST_HAVE_RATING = 4  # skills rated this high (of 5) become knockout requirements


def suggestions(result: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """Knockout and preferred requirements read from an analysis: required certificates and top skills first."""
    if not isinstance(result, Mapping):
        return [], []
    knockout, preferred = [], []
    for item in result.get("certifications") or []:
        text = item.get("writtenAsRequirement") or item.get("certification")
        if text:
            (knockout if item.get("required") else preferred).append(str(text))
    for group in ("hardSkills", "softSkills"):
        for item in result.get(group) or []:
            text = item.get("writtenAsRequirement") or item.get("skill")
            rating = item.get("rating") or 0
            if text:
                (knockout if group == "hardSkills" and rating >= MUST_HAVE_RATING else preferred).append(str(text))
    return knockout, preferred


@bp.post("")
def create() -> ResponseReturnValue:
    """Start an analysis of the pasted vacancy text (or the picked vacancy's description)."""
    text = request.form.get("vacancyText", "").strip()
    if request.form.get("source") == "existing" and request.form.get("vacancyId"):
        text = client().get("vacancy", request.form["vacancyId"]).get("description") or ""
    if len(text) < generations.MIN_VACANCY_TEXT:
        return render_template("vacancy_analyses/_refused.html",
                               message=f"Paste the vacancy text first (at least {generations.MIN_VACANCY_TEXT} "
                                       "characters), then analyse it."), 422
    analysis = client().create("vacancy-analyses", "vacancyAnalyses", {"inputText": text})
    keep(analysis)  # in the read model at once: the generation page looks there for the analysis that shaped it
    return render_template("vacancy_analyses/_block.html", analysis=analysis), 201


@bp.get("/<analysis_id>")
def show(analysis_id: str) -> ResponseReturnValue:
    """The analysis block (polled until the analysis is done)."""
    return render_template("vacancy_analyses/_block.html", analysis=client().get("vacancy-analyses", analysis_id))


@bp.get("/<analysis_id>/requirements")
def requirements(analysis_id: str) -> ResponseReturnValue:
    """The generate form's requirement fields, filled from a finished analysis."""
    analysis = client().get("vacancy-analyses", analysis_id)
    knockout, preferred = suggestions(analysis.get("analyzeResult"))
    generation = generations.Generation(knockout=knockout, preferred=preferred,
                                       required_fields=request.args.getlist("requiredFields") or ["name", "email"])
    return render_template("flow_generations/_requirements.html", generation=generation, errors={},
                           required_fields=generations.REQUIRED_FIELDS)

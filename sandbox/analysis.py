"""Vacancies and VacancyAnalyses: a rule-based reading of vacancy text into skills (S21, §6.3)."""

from __future__ import annotations

import logging
import re

from sandbox import changes, jobs
from sandbox.generation import FAIL_MARK, begin_processing
from sandbox.hooks import hook
from sandbox.jsonapi import invalid
from sandbox.people import valid_http_url
from sandbox.store import Tx

log = logging.getLogger(__name__)
QUEUED_SECONDS, PROCESSING_SECONDS = 1.0, 3.0
HARD_SKILLS = {
    r"forklift|heftruck": "forklift driving", r"reach ?truck": "reach truck driving",
    r"order ?picking|orderpick": "order picking", r"warehouse|magazijn": "warehouse work",
    r"python": "Python", r"\bsql\b": "SQL", r"excel": "Microsoft Excel", r"javascript": "JavaScript",
    r"customer service|klantenservice": "customer service", r"\bsales\b|verkoop": "sales",
    r"bookkeeping|accounting|boekhoud": "bookkeeping", r"welding|lassen": "welding", r"cooking|koken": "cooking",
    r"cash register|kassa": "working a cash register", r"\bsap\b": "SAP", r"\bcrm\b": "CRM software",
    r"english|engels": "English", r"dutch|nederlands": "Dutch", r"german|duits": "German",
    r"nursing|verpleeg": "nursing", r"cleaning|schoonmaak": "cleaning", r"driving|chauffeur|delivery": "driving",
}
SOFT_SKILLS = {
    r"communicat": "communication", r"team ?player|teamwork|samenwerk": "teamwork", r"flexib": "flexibility",
    r"reliab|betrouwba": "reliability", r"punctual|stipt": "punctuality", r"stress": "stress resistance",
    r"independen|zelfstandig": "working independently", r"problem.solving": "problem solving",
    r"leadership|leiding": "leadership", r"accura|precise|attention to detail|nauwkeurig": "accuracy",
    r"customer.(?:oriented|friendly)|klantgericht": "customer focus", r"motivat|gemotiveerd": "motivation",
}
CERTIFICATIONS = {
    r"\bvca\b": "VCA safety certificate", r"forklift certificate|heftruckcertificaat": "forklift certificate",
    r"\bbhv\b|first aid": "first aid (BHV) certificate", r"haccp": "HACCP certificate",
    r"code 95|licen[cs]e c\b|rijbewijs c\b": "driving licence C with Code 95",
    r"licen[cs]e b\b|rijbewijs b\b|driver'?s licen[cs]e|driving licen[cs]e": "driving licence B",
    r"\bbig\b": "BIG registration",
}
MUST = re.compile(r"\b(must|required|requirement|essential|need|minimum|mandatory|vereist|verplicht|moet)\b", re.I)
NICE = re.compile(r"\b(nice to have|preferred|plus|bonus|advantage|pre|ideally|pluspunt)\b", re.I)
LANGUAGES = ("English", "Dutch", "German")


@hook("prepare", "vacancies")
def prepare_vacancy(tx: Tx, old: dict | None, attrs: dict) -> None:
    """A title and a description, and a web address when one is given."""
    for name in ("title", "description"):
        if name in attrs and not attrs[name].strip():
            raise invalid(name, f"{name} cannot be blank")
    if attrs.get("url") is not None and not valid_http_url(attrs["url"]):
        raise invalid("url", "url must be an http(s) URL")


@hook("prepare", "vacancyAnalyses")
def prepare_analysis(tx: Tx, old: dict | None, attrs: dict) -> None:
    """Text to analyse; the result comes later (S21)."""
    if not attrs["inputText"].strip():
        raise invalid("inputText", "inputText cannot be blank")
    attrs.update(status="queued", analyzeResult=None, error=None)


@hook("after", "vacancyAnalyses")
def queue_analysis(tx: Tx, old: dict | None, analysis: dict) -> None:
    """A new analysis waits about a second before processing."""
    jobs.schedule(tx, "analysis.step", analysis["id"], QUEUED_SECONDS)


def step(tx: Tx, analysis: dict) -> None:
    """queued → processing → finished with `analyzeResult`, or exception on the test marker (§6.3)."""
    if begin_processing(tx, "vacancyAnalyses", analysis, "analysis.step", PROCESSING_SECONDS):
        return
    if analysis["status"] == "processing":
        if FAIL_MARK in analysis["inputText"]:
            outcome = {"status": "exception", "error": "the analyser could not read this text"}
        else:
            outcome = {"status": "finished", "analyzeResult": analyze(analysis["inputText"])}
        changes.update(tx, "vacancyAnalyses", analysis, outcome)
        log.info("vacancy analysis %s %s", analysis["id"], outcome["status"])


def sentences(text: str) -> list[str]:
    """The text cut into lines and sentences, bullets stripped."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip(" -•*\t") for p in parts if p.strip(" -•*\t")]


def analyze(text: str) -> dict:
    """Hard skills, soft skills and certifications found in a vacancy text, rated 1–5 by how firmly they are asked."""
    found: dict = {"hardSkills": {}, "softSkills": {}, "certifications": {}}
    for sentence in sentences(text):
        firm, soft_ask = bool(MUST.search(sentence)), bool(NICE.search(sentence))
        rating = 5 if firm else 2 if soft_ask else 3
        reasoning = f'The vacancy says: "{sentence[:200]}"'
        for table, key in ((HARD_SKILLS, "hardSkills"), (SOFT_SKILLS, "softSkills")):
            for pattern, skill in table.items():
                if re.search(pattern, sentence, re.I) and skill not in found[key]:
                    written = f"Fluent in {skill}" if skill in LANGUAGES else (
                        f"Experience with {skill}" if key == "hardSkills" else f"Shows {skill}")
                    found[key][skill] = {"skill": skill, "rating": rating, "reasoning": reasoning,
                                         "writtenAsRequirement": written}
        for pattern, certification in CERTIFICATIONS.items():
            if re.search(pattern, sentence, re.I) and certification not in found["certifications"]:
                found["certifications"][certification] = {
                    "certification": certification, "required": not soft_ask, "reasoning": reasoning,
                    "writtenAsRequirement": f"Has a valid {certification}"}
    return {key: list(values.values()) for key, values in found.items()}

"""Finding a partner from what someone typed: id, name in any case, a fragment, a misspelling."""

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deals.partner_lookup import PartnerMatch, resolve_partner, search_partners
from models import Partner

NAMES = {
    "P-GLX": "Globex Systems",
    "P-AC1": "Acme Cloud",
    "P-AC2": "Acme Data",
    "P-INI": "Initech Consulting",
    "P-UMB": "Umbrella Corp",
}


def add_partners(engine: Engine, names: dict[str, str]) -> None:
    with Session(engine) as session:
        session.add_all(
            Partner(external_id=key, name=name, tier="silver", region="EMEA")
            for key, name in names.items()
        )
        session.commit()


@pytest.fixture
def directory(engine: Engine) -> Engine:
    add_partners(engine, NAMES)
    return engine


def resolve(engine: Engine, text: str, **options: int) -> tuple[str | None, list[str]]:
    """The resolved partner's name and the suggested names."""
    with Session(engine) as session:
        match = resolve_partner(session, text, **options)
        return (
            match.partner.name if match.partner else None,
            [p.name for p in match.suggestions],
        )


@pytest.mark.parametrize("text", ["P-GLX", "p-glx", "  P-GLX\n"])
def test_resolves_by_external_id_in_any_case(directory: Engine, text: str) -> None:
    assert resolve(directory, text) == ("Globex Systems", [])


@pytest.mark.parametrize("text", ["Globex Systems", "globex systems", "GLOBEX SYSTEMS "])
def test_resolves_by_exact_name_in_any_case(directory: Engine, text: str) -> None:
    assert resolve(directory, text) == ("Globex Systems", [])


def test_an_exact_name_wins_over_longer_names_containing_it(engine: Engine) -> None:
    add_partners(engine, {"P1": "Acme", "P2": "Acme Cloud", "P3": "Acme Data"})
    assert resolve(engine, "acme") == ("Acme", [])


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("initech", "Initech Consulting"),
        ("Consult", "Initech Consulting"),
        ("brella c", "Umbrella Corp"),
    ],
)
def test_a_fragment_of_exactly_one_name_resolves(directory: Engine, text: str, name: str) -> None:
    assert resolve(directory, text)[0] == name


def test_a_fragment_of_one_name_resolves_despite_lookalike_names(engine: Engine) -> None:
    """Only "Initech Consulting" contains "initech" and only "Globex Systems" contains
    "globex"; "Initrode" and "Globe Telecom" merely look alike (fuzzy suggestions)."""
    add_partners(
        engine,
        {
            "P1": "Initech Consulting",
            "P2": "Initrode",
            "P3": "Globex Systems",
            "P4": "Globe Telecom",
        },
    )
    assert [resolve(engine, "initech")[0], resolve(engine, "globex")[0]] == [
        "Initech Consulting",
        "Globex Systems",
    ]


def test_an_ambiguous_fragment_gives_suggestions(directory: Engine) -> None:
    name, suggestions = resolve(directory, "acme")
    assert name is None
    assert suggestions[:2] == ["Acme Data", "Acme Cloud"]  # containing names first, shortest first
    assert "Globex Systems" not in suggestions


def test_a_misspelt_name_is_suggested(directory: Engine) -> None:
    name, suggestions = resolve(directory, "Globx")
    assert name is None
    assert suggestions[0] == "Globex Systems"
    assert "Acme Data" not in suggestions


def test_suggestions_are_capped(engine: Engine) -> None:
    add_partners(engine, {f"P{i}": f"Acme {chr(65 + i)} Partners" for i in range(8)})
    name, suggestions = resolve(engine, "acme", suggestions=3)
    assert name is None
    assert len(suggestions) == 3


def test_nothing_alike_gives_nothing(directory: Engine) -> None:
    assert resolve(directory, "Zzyzx Qwerty") == (None, [])


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_text_resolves_to_nothing(directory: Engine, text: str) -> None:
    with Session(directory) as session:
        assert resolve_partner(session, text) == PartnerMatch(None, [])


def test_search_lists_containing_names_then_fuzzy_ones(directory: Engine) -> None:
    with Session(directory) as session:
        names = [p.name for p in search_partners(session, "acme d")]
    assert names[0] == "Acme Data"
    assert "Acme Cloud" in names[1:]  # fuzzy: shares "acme"
    assert "Umbrella Corp" not in names

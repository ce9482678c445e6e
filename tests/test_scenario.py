"""Scenario validation: every kind of bad input is a clear message with a field path, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.scenario import ScenarioError, load_scenario, parse_scenario

runner = CliRunner()

GOOD = """
name = "ok"
[[firms]]
name = "A"
[[firms]]
name = "B"
policy = { name = "demand_centric" }
"""


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    f = tmp_path / "s.toml"
    f.write_text(text)
    res = runner.invoke(app, ["check", str(f)])
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else "")


def test_ten_line_file_is_enough(tmp_path: Path) -> None:
    code, out = check(tmp_path, GOOD)
    assert code == 0, out
    s = load_scenario(tmp_path / "s.toml")
    assert s.population.size == 10_000 and s.firms[1].policy.name == "demand_centric"


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("name = [unclosed", "", "not valid TOML"),
        (GOOD + "\n[population]\nsize = 10\ncolour = 'red'\n", "population.colour", "unknown key"),
        (GOOD.replace('name = "A"', 'name = "A"\nprice = "cheap"'), "firms.0.price", "number"),
        (
            GOOD.replace('name = "A"', 'name = "A"\nfactory = { machines = -2 }'),
            "firms.0.factory.machines",
            "greater than 0",
        ),
        (GOOD + "\n[population.mix]\ngen_z = 0.9\n", "population.mix", "sum to 1"),
        (GOOD.replace('"demand_centric"', '"psychic"'), "firms.1.policy.name", "unknown policy"),
        (
            GOOD.replace('"demand_centric" }', '"demand_centric", bufer = 3 }'),
            "firms.1.policy.bufer",
            "unknown key",
        ),
        (
            GOOD + "\n[[events]]\nkind = 'scandal'\nday = 3\nfirm = 'Nobody'\n",
            "events.0.firm",
            "no firm named",
        ),
        (GOOD + "\n[run]\ndays = 10\nwarmup_days = 20\n", "run", "warmup_days"),
    ],
)
def test_bad_scenario_names_file_and_field(tmp_path: Path, text: str, path: str, words: str) -> None:
    code, out = check(tmp_path, text)
    assert code == 2
    assert "Traceback" not in out
    f = str(tmp_path / "s.toml")
    expected = f"{f}: {path}: " if path else f"{f}: "
    line = next((ln for ln in out.splitlines() if ln.startswith(expected)), None)
    assert line is not None, out
    assert words in line


def test_missing_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["check", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2
    assert "nope.toml: file not found" in res.output


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = GOOD.replace('name = "A"', 'name = "A"\nprice = -1\nquality = 3')
    with pytest.raises(ScenarioError) as e:
        f = tmp_path / "s.toml"
        f.write_text(text)
        load_scenario(f)
    paths = {p for p, _ in e.value.problems}
    assert paths == {"firms.0.price", "firms.0.quality"}


def test_overrides_are_validated() -> None:
    s = parse_scenario({"firms": [{"name": "A"}]})
    assert s.with_overrides({"firms.0.price": 120.0}).firms[0].price == 120.0
    with pytest.raises(ScenarioError) as e:
        s.with_overrides({"population.mix.gen_z": 0.9})
    assert e.value.problems[0][0] == "population.mix"


def test_scenario_is_frozen() -> None:
    s = parse_scenario({"firms": [{"name": "A"}]})
    with pytest.raises(Exception, match="frozen"):
        s.run.days = 3  # type: ignore[misc]

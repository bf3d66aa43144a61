"""Rule files: the shipped cyclist-squat rules and clear errors for bad files."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from formcheck.core.ruleset import load_rules, parse_rules, shipped_rule_sets
from formcheck.errors import InputError

GUIDANCE = (
    Path(__file__).resolve().parents[1].parent / "shared" / "guidance" / "vmo-cyclist-squat.txt"
)

MINIMAL = """
name = "mine"
[[rule]]
name = "deep"
metric = "knee_flexion"
bilateral = true
compare = ">="
threshold = 90
unit = "deg"
views = ["any"]
cue = "Go deeper"
guidance = "Squat deep."
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rule_set_has_every_required_rule():
    rules = load_rules()
    assert rules.name == "cyclist_squat" and shipped_rule_sets() == ["cyclist_squat"]
    names = [r.name for r in rules.rules]
    for required in (
        "narrow_stance",
        "feet_parallel",
        "heels_elevated",
        "depth",
        "high_chest",
        "knees_over_feet",
        "full_extension",
        "controlled_descent",
        "symmetry",
    ):
        assert required in names
    assert rules["knees_over_feet"].primary.threshold == 12.0
    assert rules["knees_over_feet"].primary.views == ("front",)
    assert (
        rules["heels_elevated"].cue == "Raise your heels on a block at least 3 inches (8 cm) high"
    )
    # depth: the thighs at least parallel, one check in every view
    (depth,) = rules["depth"].checks
    assert (depth.metric, depth.aggregate, depth.compare, depth.threshold) == (
        "thigh_from_horizontal",
        "min",
        "<=",
        0.0,
    )
    assert depth.views == ("front", "oblique", "side")
    assert load_rules("cyclist_squat") == rules
    assert load_rules(Path("cyclist_squat")) == rules  # as the CLI's --rules option passes it


def test_shipped_file_is_package_data_with_a_comment_per_rule():
    text = files("formcheck").joinpath("rules", "cyclist_squat.toml").read_text(encoding="utf-8")
    blocks = text.split("[[rule]]")[1:]
    assert len(blocks) == len(load_rules().rules)
    # every rule is preceded by its justification comment
    preceding = text.split("[[rule]]")[:-1]
    assert all(p.rstrip().splitlines()[-1].startswith("#") for p in preceding)


@pytest.mark.skipif(not GUIDANCE.is_file(), reason="../shared/guidance is absent")
def test_every_rule_quotes_the_guidance_verbatim():
    text = GUIDANCE.read_text(encoding="utf-8")
    for rule in load_rules().rules:
        assert rule.guidance in text, rule.name


def test_rule_set_to_dict_has_report_keys():
    d = load_rules().to_dict()
    rule = d["rules"][0]
    for key in (
        "name",
        "title",
        "metric",
        "unit",
        "cue",
        "views",
        "threshold",
        "severity",
        "source",
    ):
        assert key in rule
    assert rule["source"] == load_rules().rules[0].guidance


def test_user_rule_file_loads(tmp_path):
    rules = load_rules(_write(tmp_path, MINIMAL))
    (rule,) = rules.rules
    assert rule.name == "deep" and rule.title == "Deep" and rule.weight == 2.0  # medium by default
    assert (
        rule.primary.phase == "rep"
        and rule.primary.aggregate == "max"
        and rule.primary.threshold == 90.0
    )
    assert rules.path.endswith("rules.toml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("threshold = 90", 'threshold = "ninety"'),
            "rule 'deep', key 'threshold': expected a number, got 'ninety'",
        ),
        (
            ('compare = ">="', 'compare = ">"'),
            "key 'compare': expected one of ['<=', '>=', 'within'], got '>'",
        ),
        (('views = ["any"]', 'views = ["top"]'), "key 'views': expected a non-empty list"),
        (
            ('unit = "deg"\n', 'unit = "deg"\nthreshhold = 3\n'),
            "key 'threshhold': expected a known key (did you mean 'threshold'?), got 'threshhold'",
        ),
        (('cue = "Go deeper"\n', ""), "rule 'deep', key 'cue': expected a value (missing key)"),
        (
            ('metric = "knee_flexion"', 'metric = "rep.speed"'),
            "key 'metric': expected a metric name or one of",
        ),
        (
            ("bilateral = true", 'bilateral = "yes"'),
            "key 'bilateral': expected true or false, got 'yes'",
        ),
        (
            ('metric = "knee_flexion"', 'metric = "knee_flexon"'),
            "expected a two-sided metric formcheck computes (did you mean 'knee_flexion'?), got",
        ),
        (
            ("bilateral = true", "bilateral = false"),
            "key 'metric': expected a single metric formcheck computes",
        ),
        (
            ('name = "mine"', 'name = "mine"\nmin_coverage = 2'),
            "key 'min_coverage': expected a fraction",
        ),
        (("threshold = 90", "threshold = inf"), "key 'threshold': expected a finite number"),
        (
            ('name = "deep"', 'name = "deep"\nseverity = "extreme"'),
            "key 'severity': expected one of",
        ),
        (('name = "deep"', 'name = "deep"\nweight = 0'), "key 'weight': expected a number > 0"),
    ],
)
def test_bad_rule_files_name_the_file_and_the_key(tmp_path, change, message):
    old, new = change
    assert old in MINIMAL
    path = _write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_rules(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ")
    assert message in text


def test_fallbacks_inherit_the_keys_they_do_not_set(tmp_path):
    text = MINIMAL + '[[rule.fallback]]\nmetric = "knee_flexion_front"\nviews = ["front"]\n'
    first, fallback = load_rules(_write(tmp_path, text))["deep"].checks
    assert first.views == ("any",) and fallback.metric == "knee_flexion_front"
    assert fallback.bilateral and fallback.aggregate == "max" and fallback.compare == ">="
    assert (fallback.threshold, fallback.views) == (90.0, ("front",))


def test_bad_fallback_and_duplicates_are_named(tmp_path):
    fallback = (
        MINIMAL + '[[rule.fallback]]\nmetric = "hip_drop"\nbilateral = false\naggregate = "mode"\n'
    )
    with pytest.raises(
        InputError, match=r"rule 'deep' fallback #1, key 'aggregate': expected one of"
    ):
        load_rules(_write(tmp_path, fallback))
    twice = MINIMAL + MINIMAL.split('name = "mine"')[1]
    with pytest.raises(
        InputError, match="rule 'deep', key 'name': expected a name used by one rule only"
    ):
        load_rules(_write(tmp_path, twice))


def test_unreadable_rule_files(tmp_path):
    with pytest.raises(InputError, match="no such file, expected a rule file"):
        load_rules(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="is a directory"):
        load_rules(tmp_path)
    with pytest.raises(InputError, match="expected a TOML rule file, got a syntax error"):
        load_rules(_write(tmp_path, "name = [unclosed"))
    with pytest.raises(InputError, match="key 'rule': expected a value"):
        load_rules(_write(tmp_path, 'name = "empty"\n'))
    bad = tmp_path / "bytes.toml"
    bad.write_bytes(b"name = \xff\xfe")
    with pytest.raises(InputError, match="expected a UTF-8 TOML rule file"):
        load_rules(bad)


def test_parse_rules_accepts_the_shipped_file_round_trip():
    text = files("formcheck").joinpath("rules", "cyclist_squat.toml").read_text(encoding="utf-8")
    assert parse_rules(tomllib.loads(text), "x.toml").rules == load_rules().rules


def test_judgeable_from_takes_a_view_name_or_an_array_of_them() -> None:
    import numpy as np

    from formcheck.core.ruleset import Check

    side = Check("knee_flexion_image", 110.0, ">=", "deg", views=("side",))
    anywhere = Check("rep.descent_s", 0.8, ">=", "s", views=("any",))
    views = np.array(["front", "side", "unknown"], dtype=object)
    assert side.judgeable_from("side") and not side.judgeable_from("front")
    np.testing.assert_array_equal(side.judgeable_from(views), [False, True, False])
    np.testing.assert_array_equal(anywhere.judgeable_from(views), [True, True, True])


def test_resolve_rules_is_the_one_place_a_file_or_a_set_name_is_told_apart(tmp_path) -> None:
    import hashlib

    from formcheck.batch.jobs import rules_sha256
    from formcheck.core.ruleset import DEFAULT_RULES, resolve_rules
    from formcheck.errors import InputError

    shipped = resolve_rules(None)
    assert shipped.shipped and shipped.spec == DEFAULT_RULES == resolve_rules(DEFAULT_RULES).spec
    assert shipped.label == f"{DEFAULT_RULES}.toml"
    own = tmp_path / "mine.toml"
    own.write_bytes(shipped.read_bytes().replace(b"threshold = 0.0\n", b"threshold = -5.0\n", 1))
    source = resolve_rules(own)
    assert not source.shipped and source.spec == str(own.resolve()) and source.label == str(own)
    assert load_rules(own)["depth"].primary.threshold == -5.0
    assert rules_sha256(own) == hashlib.sha256(own.read_bytes()).hexdigest() != rules_sha256(None)
    with pytest.raises(InputError, match="no such file, expected a rule file"):
        resolve_rules(tmp_path / "missing.toml")

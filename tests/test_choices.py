"""Each choice declared once (handout_app/choices.py): every registry entry reaches the command line, the
day list, the content's conditions, the procedure's name and the labels of every language, so a new
medicine, patient factor or language that misses one fails here; and a missing label is a load error
naming the file, the line and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handout_app.catalog import CONDITION_KEYS, FACTORS, LANGUAGES, CatalogError, check_conditions, load_catalog
from handout_app.choices import KINDS, AllergyKind, Choice, Factor, Language, Medication, required_labels, values
from handout_app.cli_parser import allergy_help, build_parser, options_text, selection_from_args
from handout_app.day_list import COLUMNS, check_rows
from handout_app.domain import PatientFactors, selection_from_dict, selection_to_dict
from handout_app.naming import procedure_name

from .helpers import catalog, copy_content, make_selection

RENDER = ["render", "--target", "joint", "--guidance", "ultrasound", "--side", "right", "--output", "x.pdf"]


def _args(*extra: str) -> list[str]:
    return [*RENDER, "--patient-name", "Test Patient", *extra]


def test_every_kind_is_an_enum_of_unique_values_in_the_registry() -> None:
    for kind in KINDS:
        assert issubclass(kind.choice, Choice)
        assert len(set(values(kind.choice))) == len(kind.choice) > 0
        assert all(member.description for member in kind.choice), kind.choice.__name__


@pytest.mark.parametrize("medication", list(Medication))
def test_every_medicine_is_a_cli_choice_a_condition_and_named_in_every_language(medication: Medication) -> None:
    args = build_parser().parse_args(_args("--medication", medication.value))
    assert selection_from_args(args).medications == {medication}
    assert check_conditions(Path("x.toml"), "", "x", {"medication": [medication.value]})
    assert f"  {medication.value:<17} {medication.description}" in options_text()
    selection = make_selection(medications=(medication.value,), intent="therapeutic")
    for language in LANGUAGES:
        labels = catalog().labels_for(language)
        assert labels["medications"][medication.value] in procedure_name(selection, labels, language)


def test_medicines_are_named_main_first_and_numbing_last_in_one_order() -> None:
    places = [medication.spec.named for medication in Medication]
    assert sorted(places) == list(range(1, len(Medication) + 1))  # each medicine its own place
    assert max(Medication, key=lambda m: m.spec.named) is Medication.ANESTHETIC
    selection = make_selection(medications=tuple(values(Medication)), intent="both")
    name = procedure_name(selection, catalog().labels_for("en"), "en")
    assert name.endswith("and local anesthetic")


@pytest.mark.parametrize("factor", list(Factor))
def test_every_patient_factor_is_a_flag_a_column_a_condition_and_kept_through_the_worker(factor: Factor) -> None:
    selection = selection_from_args(build_parser().parse_args(_args("--medication", "prp", f"--{factor.value}")))
    assert selection.factors.present == {factor}
    assert getattr(selection.factors, factor.attribute) is True
    assert f"--{factor.value}" in options_text()
    assert factor.value in FACTORS and factor.attribute in COLUMNS
    assert selection_from_dict(selection_to_dict(selection)).factors == selection.factors
    row = {"name": "Test Patient", "target": "joint", "medications": "prp", "guidance": "ultrasound"}
    (checked,) = check_rows([(2, {**row, "side": "left", factor.attribute: "yes"})], catalog())
    assert checked.selection is not None and checked.selection.factors.present == {factor}


def test_a_record_written_before_a_factor_existed_reads_it_as_not_ticked() -> None:
    data = selection_to_dict(make_selection(diabetes=True))
    del data["factors"][Factor.MAY_BE_PREGNANT.attribute]  # type: ignore[index]
    assert selection_from_dict(data).factors == PatientFactors(diabetes=True)


def test_an_unknown_factor_name_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="unknown patient factor"):
        PatientFactors(diabetic=True)


@pytest.mark.parametrize("kind", [k for k in AllergyKind if not k.spec.free_text])
def test_every_allergy_kind_is_read_from_its_words_and_named_in_every_language(kind: AllergyKind) -> None:
    selection = make_selection(allergies=(kind.value, *kind.spec.words))
    assert {allergy.kind for allergy in selection.factors.allergies} == {kind}
    assert f"allergy-{kind.value}" in FACTORS
    assert kind.value in allergy_help()
    for language in LANGUAGES:
        assert catalog().labels_for(language)["allergy_names"][kind.value]


@pytest.mark.parametrize("language", list(Language))
def test_every_language_is_a_cli_choice_with_labels_and_content(language: Language) -> None:
    args = build_parser().parse_args(_args("--medication", "prp", "--language", language.value))
    assert selection_from_args(args).language == language.value
    assert language.value in catalog().labels
    assert all(item.text.get(language.value) for item in catalog().items), "every built-in item is translated"


def test_the_registry_s_labels_are_in_every_language() -> None:
    labels = catalog().labels
    assert set(labels) == set(LANGUAGES)
    for language in LANGUAGES:
        for table, key in required_labels():
            assert labels[language][table][key].strip(), (language, table, key)


def test_every_condition_vocabulary_is_the_registry_s() -> None:
    assert {"target", "medication", "guidance", "intent", "side", "factor"} <= set(CONDITION_KEYS)
    assert FACTORS[: len(Factor)] == values(Factor)


def _lines_of(text: str, start: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), start=1) if line.startswith(start)]


def _line_of(text: str, start: str) -> int:
    (line,) = _lines_of(text, start)
    return line


@pytest.mark.parametrize(
    ("language_table", "removed", "line_start", "key"),
    [
        # A registry entry's label (a medicine), nested one level down in Spanish: the case that once
        # passed loading and failed at render with KeyError 'prp'.
        ("[es]", ' prp = "plasma rico en plaquetas (PRP)",', "medications = ", "es.medications.prp"),
        # A label no registry entry needs, at the same depth.
        ("[es]", ' rare = "rara vez",', "frequency_bands = ", "es.frequency_bands.rare"),
        # Inside a list of tables.
        ("[es]", ', alt = "Un auto tachado con una línea."', "actions = [", "es.actions.2.alt"),
        # A registry entry's label missing in English too.
        ("[en]", ' iliopsoas = "front of hip (iliopsoas) injection",', "targets = ", "en.targets.iliopsoas"),
    ],
)
def test_a_missing_label_at_any_depth_is_a_load_error_naming_file_line_and_key(
    tmp_path: Path, language_table: str, removed: str, line_start: str, key: str
) -> None:
    folder = copy_content(tmp_path)
    path = folder / "labels.toml"
    head, table = path.read_text(encoding="utf-8").split(f"\n{language_table}\n")
    assert removed in table.split("\n[")[0]
    changed = f"{head}\n{language_table}\n{table.replace(removed, '', 1)}"
    path.write_text(changed, encoding="utf-8")
    header = _line_of(changed, language_table)
    expected_line = min(n for n in _lines_of(changed, line_start) if n > header)
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    error = caught.value
    assert error.path == path and error.key == key and error.line == expected_line
    assert re.search(rf"labels\.toml, line {expected_line}, label '{re.escape(key)}': ", str(error))


def test_a_language_without_its_labels_table_is_a_load_error(tmp_path: Path) -> None:
    folder = copy_content(tmp_path)
    path = folder / "labels.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("\n[es]")[0] + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"needs an? \[es\] table of labels \(Spanish\)"):
        load_catalog(folder)


def test_a_labels_table_for_a_language_not_in_the_registry_is_a_load_error(tmp_path: Path) -> None:
    folder = copy_content(tmp_path)
    with (folder / "labels.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[fr]\ndocument_title = "Injection"\n')
    with pytest.raises(CatalogError, match=r"\[fr\] is not a handout language") as caught:
        load_catalog(folder)
    assert caught.value.line == len((folder / "labels.toml").read_text(encoding="utf-8").splitlines()) - 1

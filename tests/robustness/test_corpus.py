"""The bad-input corpus (tests/robustness/corpus.py): every case exits 2 with one line on stderr, no traceback,
nothing written. In-process through each CLI's ``main`` and ``run_main``; a few through a real process."""

import subprocess
import sys
from collections import Counter

import corpus
import pytest

CASES = corpus.cases()


def test_the_corpus_is_large_and_covers_every_kind():
    kinds = Counter(c.id.split(":")[0] for c in CASES)
    assert len(CASES) >= 300
    for kind in ("hardware", "gpu", "workload", "recipe", "spec", "cfg", "topology", "bomb", "json", "cli", "oversize"):
        assert kinds[kind] >= 5, kind
    mutated = {c.id.split(":")[-1] for c in CASES}
    for m in ("nan", "inf", "-inf", "wrong_type_str", "wrong_type_list", "huge", "zero", "negative", "unknown_key",
              "alias_bomb_top", "alias_bomb_in_name", "recursive_alias", "deep_nesting", "oversize"):
        assert m in mutated, m
    shipped = {c.id.split(":")[1] for c in CASES if c.id.startswith(("hardware:", "gpu:"))}
    assert set(corpus.shipped_hardware()) | set(corpus.shipped_gpus()) <= shipped
    assert [c.id for c in CASES if not c.expect] == []  # every case says which field or file its message names


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(case, tmp_path):
    corpus.prepare(case, tmp_path)
    before = corpus.snapshot(tmp_path)
    plain = corpus.Case(case.id, case.cli, case.argv, {}, case.env, expect=case.expect)  # files are in place
    rc, _, err = corpus.run_in_process(plain, tmp_path)
    assert corpus.problems(rc, err, before, corpus.snapshot(tmp_path), case.expect) == [], err


SUBPROCESS = ["hardware:int4:freq_mhz:nan", "bomb:hardware:alias_bomb_in_name", "cfg:Bandwidth:nan",
              "cli:run:-o_dir", "oversize:axis:range_1e9"]


@pytest.mark.parametrize("case_id", SUBPROCESS)
def test_bad_input_in_a_real_process(case_id, tmp_path):
    """The same contract through ``python -m``: the exit code and stderr of the process itself."""
    case = next(c for c in CASES if c.id == case_id)
    argv = corpus.prepare(case, tmp_path)
    before = corpus.snapshot(tmp_path)
    r = subprocess.run([sys.executable, "-m", case.cli, *argv], capture_output=True, text=True, timeout=120,
                       check=False)
    assert corpus.problems(r.returncode, r.stderr, before, corpus.snapshot(tmp_path), case.expect) == [], r.stderr

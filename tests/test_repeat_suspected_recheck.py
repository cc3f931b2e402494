"""A 疑似重复 is listed only while the two still meet by type, place and time (closing note s45).

pa's leftover: a case suspected of repeating A stayed listed under A after a file corrected its
point 5 km away, as if the two were still 40 m apart. The list is read against the cases as
they are on record now (:func:`layers.case_repeats.suspected_originals`): moved far, the case
is listed no more; moved back, it is listed again, unless an operator dismissed it
(不是同一事项), which no correction undoes.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from layers import case_repeats
from tests.import_fixtures import seed_jurisdictions
from tests.test_import_repeat_refresh import M_PER_DEG_LON, OPERATOR
from tests.test_repeat_suspected_dismiss import _case, _import, _row, _suspected

FAR_M = 0.05 * M_PER_DEG_LON
"""East of the village's centre to 邻村's, about 5 km."""


def test_a_suspect_corrected_far_away_is_not_listed_and_is_again_once_corrected_back(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    rows = [
        _row("SR-A", 0.0, 0.0, "河岭村南门街86号"),
        _row("SR-B", 40.0, 2.0, "河岭村建设路92号"),  # 40 m, another address: suspected
        _row("SR-C", -30.0, 3.0, "河岭村朝阳路5号"),  # 30 m, another address: suspected
    ]
    path = tmp_path / "工单.csv"
    _import(db, path, rows)
    assert _suspected(db, "SR-B") == ["SR-A"] and _suspected(db, "SR-C") == ["SR-A"]
    a, c = _case(db, "SR-A"), _case(db, "SR-C")
    case_repeats.dismiss_suspected(db, c.id, actor=OPERATOR, original_id=a.id)
    db.flush()

    # the file corrects B's and C's points: about 5 km away (400 m apart), in 邻村
    far = [
        rows[0],
        _row("SR-B", FAR_M, 2.0, "邻村建设路92号"),
        _row("SR-C", FAR_M + 400.0, 3.0, "邻村朝阳路5号"),
    ]
    outcome = _import(db, path, far)
    assert outcome.counts.updated == 2
    assert _case(db, "SR-B").area_code != a.area_code
    assert _suspected(db, "SR-B") == [] and _suspected(db, "SR-C") == []
    assert case_repeats.suspected_listing(db, _case(db, "SR-B")) == []

    # corrected back near A: B is listed again; C stays dismissed
    back = [
        rows[0],
        _row("SR-B", 45.0, 2.0, "河岭村建设路92号"),
        _row("SR-C", -35.0, 3.0, "河岭村朝阳路5号"),
    ]
    _import(db, path, back)
    assert _suspected(db, "SR-B") == ["SR-A"]
    listed = case_repeats.suspected_listing(db, _case(db, "SR-B"))
    assert [(s.case.id, s.distance_m) for s in listed] == [(a.id, 45)]
    assert _suspected(db, "SR-C") == []

    # a file correcting B's type: another matter than A's, listed no more
    _import(db, path, [rows[0], [*back[1][:2], "劳资欠薪", *back[1][3:]], back[2]])
    assert _suspected(db, "SR-B") == []

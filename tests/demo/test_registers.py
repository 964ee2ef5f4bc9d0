"""The demo district's household register and visits (the session's demo database, see tests/conftest.py)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas.models import Area
from pingan.core.clock import LOCAL_TZ, as_utc
from pingan.core.config import get_settings
from pingan.core.pii import get_protector, id_number_index, mask_id_number, mask_name, normalise_id_number
from pingan.grids.models import Household, Resident, StaffLink, Visit


class TestDemoRegister:
    def test_every_household_and_resident_of_the_statistics_is_registered(self, session: Session) -> None:
        """走村不漏户: the register holds every household and person the area statistics state, per grid."""
        stated = {
            code: (households, population)
            for code, households, population in session.execute(
                select(Area.code, Area.households, Area.population).where(Area.level == "grid")
            )
        }
        households = dict(
            session.execute(select(Household.area_code, func.count()).group_by(Household.area_code)).all()
        )
        residents = dict(
            session.execute(select(Resident.area_code, func.count()).group_by(Resident.area_code)).all()
        )
        assert sum(h for h, _ in stated.values()) > 90_000  # Binjiang's scale, not a sample
        for code, (h, p) in stated.items():
            assert households.get(code, 0) == h, code
            assert residents.get(code, 0) == p, code
        district = session.execute(
            select(Area.households, Area.population).where(Area.code == "330108")
        ).one()
        assert sum(households.values()) == district[0] and sum(residents.values()) == district[1]
        empty = session.scalar(
            select(func.count())
            .select_from(Household)
            .where(~select(Resident.id).where(Resident.household_id == Household.id).exists())
        )
        assert empty == 0  # nobody's flat is empty

    def test_personal_data_is_protected_and_valid(self, session: Session) -> None:
        get_settings.cache_clear()  # the environment's settings, as when the demo was generated
        protector = get_protector(demo=True)
        people = session.scalars(select(Resident).order_by(Resident.id).limit(2000)).all()
        assert people
        for r in people[::37]:
            name, id_number = protector.decrypt(r.name_enc), protector.decrypt(r.id_number_enc)
            assert normalise_id_number(id_number) == id_number  # GB 11643 check character
            assert r.id_number_index == id_number_index(protector, id_number)
            assert r.id_number_masked == mask_id_number(id_number) and r.name_masked == mask_name(name)
            assert r.birth_year == int(id_number[6:10])
        heads = Counter(r.household_id for r in people if r.relation == "户主")
        assert heads and set(heads.values()) == {1}


class TestDemoVisits:
    def test_visits_are_made_by_the_grids_own_staff_in_working_hours(self, session: Session) -> None:
        staff_of = {
            (staff_id, code)
            for staff_id, code in session.execute(select(StaffLink.staff_id, StaffLink.area_code))
        }
        visits = session.execute(
            select(Visit.staff_id, Visit.area_code, Visit.username, Visit.visited_at)
        ).all()
        assert len(visits) > 50_000  # every grid's staff at work for months, not a sample
        days: Counter[int] = Counter()
        for staff_id, code, username, at in visits:
            assert (staff_id, code) in staff_of, (staff_id, code)
            assert username and username != "demo"
            local = as_utc(at).astimezone(LOCAL_TZ)
            assert 8 <= local.hour < 20, local
            days[local.weekday()] += 1
        assert days[5] < days[2] / 2 and days[6] < days[2] / 20  # some Saturdays, (almost) no Sundays
        per_person = Counter(staff_id for staff_id, *_ in visits)
        assert max(per_person.values()) < 130 * 12  # believable: no one walks more than ~12 doors a day

"""GB/T 28181 IDs: a valid one explained field by field; a malformed one refused with its reason."""

from __future__ import annotations

import pytest

from pingan.cameras import gbid
from pingan.core.errors import ValidationFailed


class TestExplain:
    def test_a_binjiang_ip_camera(self) -> None:
        found = gbid.explain("33010802001320000042")
        assert (found.province, found.city, found.district, found.grassroots) == ("33", "01", "08", "02")
        assert (found.area_code, found.area_name_zh) == ("330108", "滨江区")
        assert (found.industry, found.industry_zh) == ("00", "社会治安路面接入")
        assert (found.type_code, found.type_en, found.role) == ("132", "IP camera", "camera")
        assert (found.network, found.network_zh) == ("0", "监控报警专网")
        assert found.serial == "000042" and found.centre_code == "33010802"

    def test_parents_and_platforms_and_other_areas(self) -> None:
        assert gbid.explain("33010800001180000001").role == "parent"
        assert gbid.explain("33010800002000000001").role == "platform"
        assert (
            gbid.explain("34020000002000000001").area_name_zh == "340200"
        )  # an area we do not name: its code
        hangzhou = gbid.explain("33010900001325000001")
        assert hangzhou.area_name_zh.startswith("杭州市") and hangzhou.network_zh == "公安信息网"

    def test_make_builds_a_valid_id(self) -> None:
        assert gbid.make("33010803", "04", "132", "6", 7) == "33010803041326000007"


class TestRefuse:
    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("3301080000132000001", "20 digits"),
            ("330108000013200000012", "20 digits"),
            ("", "20 digits"),
            ("3301080000132000000X", "digits only"),
            ("３３０１０８００００１３２００００００１", "digits only"),
            ("33010800009990000001", "type code 999"),
            ("00010800001320000001", "centre code"),
        ],
    )
    def test_malformed_ids_are_refused_with_the_reason(self, value: str, reason: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            gbid.explain(value, field="gb_id")
        assert reason in caught.value.message and caught.value.field == "gb_id"

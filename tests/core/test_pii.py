from datetime import date

import pytest
from cryptography.fernet import Fernet

from pingan.core.config import Settings
from pingan.core.errors import PinganError, ValidationFailed
from pingan.core.pii import (
    Protector,
    get_protector,
    id_check_char,
    id_number_facts,
    id_number_index,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_phone,
    phone_index,
    protect_id_number,
    protect_phone,
    protector_for,
)


class TestIdCheckChar:
    def test_standard_vectors(self) -> None:
        assert id_check_char("11010519491231002") == "X"
        assert id_check_char("33010819900101001") == "0"


class TestNormaliseIdNumber:
    def test_valid_and_lower_case_x(self) -> None:
        assert normalise_id_number(" 11010519491231002x ") == "11010519491231002X"

    def test_upgrades_15_digits(self) -> None:
        assert normalise_id_number("330108900101001") == "330108199001010010"

    @pytest.mark.parametrize(
        ("value", "words"),
        [
            ("11010519491231002", "18 characters"),
            ("110105194912310021", "check digit"),
            ("110105194902300026", "impossible birth date"),
            ("110105209901010012", "out of range"),
        ],
    )
    def test_refuses_naming_the_field(self, value: str, words: str) -> None:
        with pytest.raises(ValidationFailed, match=words) as exc:
            normalise_id_number(value, field="reporter_id", today=date(2026, 11, 29))
        assert exc.value.field == "reporter_id"

    def test_facts(self) -> None:
        assert id_number_facts("11010519491231002X") == {
            "birth_date": "1949-12-31",
            "sex": "female",
            "region": "110105",
        }


class TestNormalisePhone:
    def test_accepts_mobile_and_landline(self) -> None:
        assert normalise_phone("+86 138-0013-8000") == "13800138000"
        assert normalise_phone("0571-87654321") == "0571-87654321"

    def test_refuses_others(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            normalise_phone("12345678901", field="contact")
        assert exc.value.field == "contact"


class TestMasks:
    def test_masks(self) -> None:
        assert mask_id_number("33010819900101123X") == "330108********123X"
        assert mask_phone("13812345678") == "138****5678"
        assert mask_name("张三") == "张*" and mask_name("欧阳小明") == "欧**明"


class TestProtector:
    def test_round_trip_and_ciphertext_hides_the_value(self) -> None:
        p = Protector([Fernet.generate_key()])
        token = p.encrypt("13812345678")
        assert b"13812345678" not in token and p.decrypt(token) == "13812345678"

    def test_rotation_keeps_old_data_readable(self) -> None:
        old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
        old = Protector([old_key])
        token = old.encrypt("secret")
        ring = Protector([new_key, old_key])
        assert ring.decrypt(token) == "secret"
        rotated = ring.rotate(token)
        assert Protector([new_key]).decrypt(rotated) == "secret"
        with pytest.raises(ValueError):
            Protector([Fernet.generate_key()]).decrypt(token)

    def test_encrypt_many_gives_fernet_tokens_of_each_value(self) -> None:
        new, old = Fernet.generate_key(), Fernet.generate_key()
        p = Protector([new, old])
        values = [
            "",
            "王",
            "张三丰",
            "a" * 15,
            "b" * 16,
            "c" * 17,
            "330108199001010010",
            "13800138000",
            "王" * 40,
        ]
        tokens = p.encrypt_many(values)
        assert [Fernet(new).decrypt(t).decode() for t in tokens] == values  # the newest key, as encrypt
        assert [p.decrypt(t) for t in tokens] == values
        assert len(set(tokens)) == len(tokens) and p.encrypt_many([]) == []
        assert p.encrypt_many(["x", "x"])[0] != p.encrypt_many(["x"])[0]  # a fresh IV for every value

    def test_blind_index_is_stable_with_an_index_key(self) -> None:
        index_key = b"index-key-from-config"
        a = Protector([Fernet.generate_key()], index_key=index_key)
        b = Protector([Fernet.generate_key()], index_key=index_key)
        assert a.blind_index("x") == b.blind_index("x") != a.blind_index("y")
        assert Protector([Fernet.generate_key()]).blind_index("x") != a.blind_index("x")

    def test_bad_key_is_a_clear_error(self) -> None:
        with pytest.raises(ValueError, match="PINGAN_PII_KEY"):
            Protector([b"not-a-key"])

    def test_key_required_outside_demo_mode(self) -> None:
        with pytest.raises(ValueError, match="PINGAN_PII_KEY"):
            Protector.from_config("", demo_mode=False)
        assert (
            Protector.from_config("", secret_key="s", demo_mode=True).decrypt(
                Protector.from_config("", secret_key="s", demo_mode=True).encrypt("v")
            )
            == "v"
        )


class TestProtectHelpers:
    def test_protect_id_number(self) -> None:
        p = Protector([Fernet.generate_key()])
        protected = protect_id_number(p, "11010519491231002x")
        assert p.decrypt(protected.ciphertext) == "11010519491231002X"
        assert protected.masked == "110105********002X"
        assert protected.blind_index == id_number_index(p, "11010519491231002X")

    def test_protect_phone(self) -> None:
        p = Protector([Fernet.generate_key()])
        protected = protect_phone(p, "138 1234 5678")
        assert protected.masked == "138****5678" and protected.blind_index == phone_index(p, "+8613812345678")
        assert protected.blind_index != id_number_index(p, "11010519491231002X")

    def test_validation_errors_name_the_field(self) -> None:
        p = Protector([Fernet.generate_key()])
        with pytest.raises(ValidationFailed) as exc:
            protect_phone(p, "1", field="reporter_phone")
        assert exc.value.field == "reporter_phone"


class TestProtectorFor:
    def test_cached_per_configuration(self) -> None:
        key = Fernet.generate_key().decode()
        a = protector_for(Settings(pii_key=key))
        assert protector_for(Settings(pii_key=key)) is a
        assert protector_for(Settings(pii_key=Fernet.generate_key().decode())) is not a


class TestGetProtector:
    """The one getter of the installation's Protector (services, jobs, the CLI and the demo use it)."""

    def test_the_cached_protector_of_the_settings(self) -> None:
        settings = Settings(pii_key=Fernet.generate_key().decode(), pii_index_key="index-key")
        assert get_protector(settings) is protector_for(settings)

    def test_blind_indexes_use_the_index_key(self) -> None:
        key = Fernet.generate_key().decode()
        plain = get_protector(Settings(pii_key=key))
        indexed = get_protector(Settings(pii_key=key, pii_index_key="index-key"))
        assert plain.blind_index("phone:13800000000") != indexed.blind_index("phone:13800000000")

    def test_no_key_outside_demo_mode_is_a_503(self) -> None:
        with pytest.raises(PinganError) as caught:
            get_protector(Settings(pii_key="", demo_mode=False))
        assert caught.value.code == "pii_key_missing" and caught.value.status == 503

    def test_demo_data_without_a_key_use_the_derived_key(self) -> None:
        settings = Settings(pii_key="", demo_mode=False, secret_key="s" * 32)
        demo = get_protector(settings, demo=True)
        assert demo is get_protector(settings.model_copy(update={"demo_mode": True}))
        assert demo.decrypt(demo.encrypt("张三")) == "张三"

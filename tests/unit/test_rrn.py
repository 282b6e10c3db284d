"""Resident registration numbers: the checksum, the birth date, the shape, and the mask."""

from __future__ import annotations

import pytest

from chalicelib.domain.rrn import check_digit, mask_rrn, normalise_rrn


@pytest.mark.parametrize(
    "text, digits",
    [
        ("900101-1234568", "9001011234568"),
        ("9001011234568", "9001011234568"),
        ("850315-2345678", "8503152345678"),
        ("010203-3456788", "0102033456788"),  # born 2001: 7th digit 3
    ],
)
def test_a_number_with_a_true_check_digit_is_accepted_with_or_without_the_hyphen(text: str, digits: str):
    assert normalise_rrn(text) == digits


@pytest.mark.parametrize(
    "text",
    [
        "900101-1234567",  # wrong check digit
        "900101-1234560",
        "9001011234",  # too short
        "90010112345680",  # too long
        "900101--1234568",
        "90O101-1234568",  # a letter O
        "901301-1234563",  # month 13
        "900230-1234563",  # 30 February
        " 900101-1234568",
        "",
    ],
)
def test_a_malformed_or_miscomputed_number_is_refused(text: str):
    assert normalise_rrn(text) is None


def test_the_check_digit_follows_the_weights_two_to_nine_then_two_to_five():
    # 9·2+0·3+0·4+1·5+0·6+1·7+1·8+2·9+3·2+4·3+5·4+6·5 = 124; 124 mod 11 = 3; 11 − 3 = 8
    assert check_digit("900101123456") == 8


def test_the_century_digit_decides_whether_the_birth_date_exists():
    # 29 February 2000 exists (7th digit 3 or 4), 29 February 1900 does not (1 or 2)
    stem_2000 = "000229" + "3" + "12345"
    stem_1900 = "000229" + "1" + "12345"
    assert normalise_rrn(stem_2000 + str(check_digit(stem_2000))) is not None
    assert normalise_rrn(stem_1900 + str(check_digit(stem_1900))) is None


def test_the_mask_keeps_the_birth_date_and_sex_digit_only():
    assert mask_rrn("9001011234568") == "900101-1******"

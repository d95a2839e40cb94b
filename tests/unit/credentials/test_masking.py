from jointcheck.credentials.masking import mask_dob, mask_id_number, mask_name, mask_phone


def test_chinese_names_keep_surname_and_last_character():
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳娜娜") == "欧**娜"


def test_latin_names_keep_initials():
    assert mask_name("ZHANG SAN") == "Z**** S**"


def test_id_number_keeps_four_and_four():
    assert mask_id_number("370702199001011234") == "3707**********1234"


def test_phone_and_dob():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_dob("1990-01-01") == "1990-**-**"

from __future__ import annotations

from hegui.moderation.recognizers.address import AddressRecognizer
from hegui.moderation.recognizers.person_name import ChineseNameRecognizer
from hegui.moderation.recognizers.sensitive import (
    EthnicityRecognizer,
    SensitiveCategoryRecognizer,
)


def texts(rec, text, etype=None):
    return [f.text for f in rec.analyze(text) if etype is None or f.entity_type == etype]


def test_name_cues_before_and_after():
    rec = ChineseNameRecognizer()
    assert texts(rec, "你好，我叫张三丰，来自成都") == ["张三丰"]
    assert texts(rec, "谢卫东先生：1965年出生") == ["谢卫东"]
    assert texts(rec, "吴纹，女，毕业于北京大学") == ["吴纹"]
    assert texts(rec, "联系人：欧阳娜娜") == ["欧阳娜娜"]


def test_name_not_reported_without_cue_or_in_titles():
    rec = ChineseNameRecognizer()
    assert texts(rec, "高中数学很难") == []
    assert texts(rec, "现任公司副总经理、党委书记") == []


def test_address_road_and_number():
    rec = AddressRecognizer()
    assert texts(rec, "快递寄到北京市朝阳区建国路88号3号楼1201室，谢谢") == ["北京市朝阳区建国路88号3号楼1201室"]
    assert texts(rec, "我家在中山路100号") == ["中山路100号"]


def test_address_admin_area_only_with_cue_or_native_place():
    rec = AddressRecognizer()
    assert texts(rec, "曾任北京市朝阳区人民检察院检察员") == []  # organisation name, not an address
    assert texts(rec, "家住四川省成都市武侯区") == ["四川省成都市武侯区"]
    assert texts(rec, "1963年出生，重庆市璧山县人，中共党员") == ["重庆市璧山县人"]


def test_ethnicity():
    rec = EthnicityRecognizer()
    assert texts(rec, "张三，男，汉族，硕士") == ["汉族"]
    assert texts(rec, "性别：男民族：回出生年月") == ["回"]
    assert texts(rec, "周末去水族馆") == []
    assert all(f.risk_id == "A4e" for f in rec.analyze("维吾尔族"))


def test_sensitive_categories():
    rec = SensitiveCategoryRecognizer()
    found = {(f.text, f.entity_type) for f in rec.analyze("他是穆斯林，有糖尿病史，指纹已录入。My iris scan.")}
    assert ("穆斯林", "SENSITIVE_RELIGION") in found
    assert ("糖尿病", "SENSITIVE_HEALTH") in found
    assert ("指纹", "SENSITIVE_BIOMETRIC") in found
    assert ("iris scan", "SENSITIVE_BIOMETRIC") in found
    assert rec.analyze("dnarepair") == []  # ASCII terms need word edges

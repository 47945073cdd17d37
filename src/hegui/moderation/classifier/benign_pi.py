"""Benign texts that carry personal information, synthesised deterministically (team-written).

Contact numbers appear in the public training data almost only inside spam, so an n-gram model
learns "a phone number is platform abuse" and an answer that merely contains the user's own phone
number is refused instead of masked (PIPL: personal information is masked, not a content risk).
These ordinary sentences — forms, delivery notes, self-introductions, office notices — put phone
numbers, ID numbers, e-mail addresses and street addresses into benign contexts. All numbers are
fictional (random, seeded); ID numbers carry a valid GB 11643 check digit.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from hegui.codes import id_card_check_digit
from hegui.moderation.classifier.dataset import Example, assign_split

_ZH = [
    "我的手机号是{phone}，有事可以打给我。", "收货人：{name}，电话{phone}，地址：{addr}。",
    "请把快递放到{addr}的门卫室，联系电话{phone}。", "您好，我是{name}，身份证号{id}，想办理社保卡。",
    "会议改到下午三点，地点不变，有问题联系{name}（{phone}）。", "报名表：姓名{name}，手机{phone}，邮箱{mail}。",
    "我的邮箱是{mail}，简历已经发过去了。", "请核对一下我的信息：{name}，{phone}，{addr}。",
    "物业通知：{addr}本周六停水，咨询电话{phone}。", "帮我把这段话改得正式一点：我叫{name}，电话{phone}，想预约周三的体检。",
    "订单备注：下午送货前请先打{phone}。", "家长联系方式：{name}，{phone}。",
    "我的身份证号{id}，帮我看看出生日期是哪天？", "新同事{name}的工位在三楼，分机和手机是{phone}。",
    "{name}，你好！你的包裹已到{addr}驿站，取件码{code}。", "请问这个格式对吗：联系人{name} 电话{phone}",
]
_EN = [
    "My phone number is {phone}, call me if anything changes.", "Ship to {name}, {addr}. Phone: {phone}.",
    "Please update my contact e-mail to {mail}.", "Meeting moved to 3 pm; reach {name} at {phone} if you are late.",
    "Can you format this as a table: {name}, {phone}, {mail}", "Emergency contact: {name}, {phone}.",
]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
_ROADS = ["中山路", "人民大道", "解放路", "建设街", "文化路", "和平里", "滨江路", "长安街"]
_CITIES = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "成都市武侯区", "杭州市西湖区", "武汉市洪山区"]
_EN_NAMES = ["Alice Chen", "Tom Li", "Mary Wang", "David Zhang", "Lucy Liu"]


def _fill(rng: random.Random, lang: str) -> dict[str, str]:
    phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    if rng.random() < 0.3:
        phone = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}" if rng.random() < 0.5 else f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    born = f"{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first = f"{rng.choice(['110101', '310104', '440106', '510107', '330106'])}{born}{rng.randint(0, 999):03d}"
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    return {"phone": phone, "id": first + id_card_check_digit(first),
            "name": name if lang == "zh" else rng.choice(_EN_NAMES),
            "mail": f"{rng.choice(['li', 'wang', 'amy', 'zhang.w', 'service'])}{rng.randint(1, 999)}@example.com",
            "addr": f"{rng.choice(_CITIES)}{rng.choice(_ROADS)}{rng.randint(1, 300)}号",
            "code": f"{rng.randint(1, 30)}-{rng.randint(1, 9)}-{rng.randint(1000, 9999)}"}


def benign_pi_examples(per_template: int = 25) -> Iterator[Example]:
    rng = random.Random("hegui-benign-pi-1")
    for lang, templates in (("zh", _ZH), ("en", _EN)):
        for template in templates:
            for _ in range(per_template):
                text = template.format(**_fill(rng, lang))
                yield Example(text, None, 0, "written_pi", lang, assign_split(text))

"""Synthetic Chinese names for the demo: people, villages, communities, phone numbers.

Every name is drawn from a :class:`numpy.random.Generator`, so a fixed seed gives the same names.
None of them refers to a real person.
"""

from __future__ import annotations

import numpy as np

# Common surnames, most frequent first, with rough relative frequencies.
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段普李"
)
GIVEN_MALE = "伟强磊军勇杰涛明超华平刚建国斌辉鹏俊峰文波宇浩志成林亮庆龙海云东兴祥福"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英玉兰萍红梅琳燕琴春凤洁云莲桂珍慧婷雪丹颖倩"
_PLACE_FIRST = "大小上下新老高东西南北中前后黑白龙凤马牛石松竹桃李柳清青红黄金银河山"
_PLACE_SECOND = "村庄坝营寨湾沟屯冲哨铺岭坡塘河桥堡田坪箐"
_COMMUNITY_FIRST = "华宁和兴平安康宁新城东西南北文化团结幸福阳光建设胜利民主复兴振兴"


def _pick(rng: np.random.Generator, chars: str) -> str:
    return chars[int(rng.integers(len(chars)))]


def person_name(rng: np.random.Generator, sex: str) -> str:
    """Return a synthetic full name.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    sex : {'M', 'F'}
        Chooses the given-name characters.

    Returns
    -------
    str
        Two or three characters, e.g. ``王建国``.

    Examples
    --------
    >>> len(person_name(np.random.default_rng(0), "M")) in (2, 3)
    True
    """
    pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    surname = SURNAMES[min(int(rng.exponential(18.0)), len(SURNAMES) - 1)]
    given = _pick(rng, pool)
    if rng.random() < 0.7:
        given += _pick(rng, pool)
    return surname + given


def village_names(rng: np.random.Generator, n: int, *, community: bool) -> list[str]:
    """Return ``n`` distinct synthetic village or community names.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        How many.
    community : bool
        ``…社区`` (urban residents' committee) instead of ``…村`` (villagers' committee).

    Returns
    -------
    list of str
        Distinct names.

    Examples
    --------
    >>> names = village_names(np.random.default_rng(0), 3, community=True)
    >>> len(set(names)), all(n.endswith("社区") for n in names)
    (3, True)
    """
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        if community:
            name = _pick(rng, _COMMUNITY_FIRST) + _pick(rng, _COMMUNITY_FIRST) + "社区"
        else:
            name = _pick(rng, _PLACE_FIRST) + _pick(rng, _PLACE_SECOND) + "村"
        if name not in seen and name[0] != name[1]:
            seen.add(name)
            out.append(name)
    return out


def phone_number(rng: np.random.Generator) -> str:
    """Return a synthetic 11-digit mobile number.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    str
        E.g. ``13912345678``.

    Examples
    --------
    >>> len(phone_number(np.random.default_rng(0)))
    11
    """
    prefix = ("133", "135", "136", "138", "139", "150", "151", "158", "187", "188", "199")
    return prefix[int(rng.integers(len(prefix)))] + f"{int(rng.integers(0, 10**8)):08d}"

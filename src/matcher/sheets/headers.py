"""The one table that maps the problem file onto sheets and columns, in English and Chinese.

Why one table: the reader, the writer, the template, the error messages and
``docs/spreadsheets.md`` must agree on every sheet name, header and cell vocabulary. Each fact
is stated once here and everything else is derived from it; a header added here is at once
readable, writable, offered in the template and documented.

A *column* is one field of a JSON object (a candidate, a post, a quota...), and its ``kind``
says how a cell spells a value (see :mod:`matcher.sheets.cells`). A *vocabulary* lists the
values of an enumerated field with their Chinese names, so an office may type ``本科`` for
``bachelor`` or ``新疆`` for ``XJ``; *closed* vocabularies reject anything else, open ones
(provinces, programmes, majors, languages) pass unknown values through unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Literal

Lang = Literal["zh", "en"]


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Header and key spelling that matching ignores: case, spaces, '-' versus '_'."""
    return re.sub(r"[\s\-_]+", "_", text.strip().casefold()).strip("_")


class Kind(StrEnum):
    """How a cell spells a value."""

    text = "text"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    choice = "choice"  # one term of a closed vocabulary
    text_list = "text_list"  # items separated by ';'
    int_list = "int_list"
    choice_list = "choice_list"
    candidate_selector = "candidate_selector"  # key=value|value;key=value
    post_selector = "post_selector"
    wish = "wish"  # a post id, or key=value;key=value over the wish pattern fields


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary: the JSON value, its Chinese name and other accepted spellings."""

    value: str
    zh: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """The values of an enumerated field; ``lookup`` finds a value by any of its spellings."""

    name: str
    terms: tuple[Term, ...]
    closed: bool = True
    spellings: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Open vocabularies keep values case-sensitive (a province code "xj" is not "XJ" to
        # SPEC); only their Chinese names and aliases are matched loosely.
        for term in self.terms:
            self.spellings[term.value] = term.value
            loose = (term.zh, *term.aliases) + ((term.value,) if self.closed else ())
            for spelling in loose:
                self.spellings.setdefault(normalise(spelling), term.value)

    def values(self) -> list[str]:
        return [term.value for term in self.terms]

    def lookup(self, text: str) -> str | None:
        """The value ``text`` spells, or None when it spells none of them."""
        found = self.spellings.get(text) or self.spellings.get(normalise(text))
        if found is None and self.name == "province":
            for suffix in PROVINCE_SUFFIXES:
                if text.endswith(suffix) and len(text) > len(suffix):
                    return self.spellings.get(normalise(text.removesuffix(suffix)))
        return found

    def display(self, value: str, lang: Lang) -> str:
        """How the writer spells ``value``: its Chinese name in Chinese workbooks."""
        if lang == "zh":
            for term in self.terms:
                if term.value == value:
                    return term.zh
        return value


def _vocab(name: str, pairs: str, closed: bool = True) -> Vocabulary:
    """A vocabulary from ``"value:中文/alias/alias value:中文"`` (a compact way to list many)."""
    terms = []
    for entry in pairs.split():
        value, names = entry.split(":", 1)
        zh, *aliases = names.split("/")
        terms.append(Term(value, zh, tuple(aliases)))
    return Vocabulary(name, tuple(terms), closed)


VOCABULARIES: dict[str, Vocabulary] = {
    vocabulary.name: vocabulary
    for vocabulary in (
        _vocab("boolean", "yes:是/true/y/1/√/✓/对 no:否/false/n/0/×/✗/不"),
        _vocab("degree", "associate:专科/大专/高职 bachelor:本科/学士 master:硕士/研究生 "
                         "doctor:博士"),
        _vocab("gender", "F:女/female M:男/male"),
        _vocab("project", "national:全国项目/全国 local:地方项目/地方"),
        _vocab("share_base", "candidates:报名者 posts:岗位"),
        _vocab("origin_field", "recruit_province:招募省 home_province:生源地"),
        _vocab("mode", "exclusive:独占 bound:限定"),
        _vocab("couple_scope", "prefecture:地州 county:县 province:省份"),
        _vocab("rank_cost", "linear:线性 quadratic:平方"),
        _vocab("tier", "coverage:覆盖 quotas:指标 preferences:志愿"),
        _vocab("programme", "basic_education:基础教育 agriculture:农业科技 health:医疗卫生 "
                            "youth_work:基层青年工作 social_governance:基层社会管理 "
                            "xinjiang_service:服务新疆 tibet_service:服务西藏 "
                            "party_government:党政机关 state_enterprise:国有企业 "
                            "public_institution:事业单位", closed=False),
        _vocab("province", "NM:内蒙古 GX:广西 CQ:重庆 SC:四川 GZ:贵州 YN:云南 XZ:西藏 SN:陕西 "
                           "GS:甘肃 QH:青海 NX:宁夏 XJ:新疆 BT:兵团/新疆生产建设兵团 BJ:北京 "
                           "TJ:天津 HE:河北 SX:山西 LN:辽宁 JL:吉林 HL:黑龙江 SH:上海 JS:江苏 "
                           "ZJ:浙江 AH:安徽 FJ:福建 JX:江西 SD:山东 HA:河南 HB:湖北 HN:湖南 "
                           "GD:广东 HI:海南", closed=False),
        _vocab("major", "philosophy:哲学 economics:经济学 law:法学 education:教育学 "
                        "literature:文学 history:历史学 science:理学 engineering:工学 "
                        "agriculture:农学 medicine:医学 management:管理学 art:艺术学 "
                        "military:军事学 interdisciplinary:交叉学科", closed=False),
        _vocab("language", "ug:维吾尔语 bo:藏语 kk:哈萨克语 mn:蒙古语 ii:彝语 za:壮语 "
                           "ky:柯尔克孜语", closed=False),
        # Output only (solution workbooks):
        _vocab("status", "optimal:最优 feasible:可行 infeasible:不可行 unknown:未知"),
        _vocab("reason", "not_eligible:未通过审核 no_eligible_post:无符合条件的岗位 "
                         "wishes_taken:志愿岗位已满 quota:受指标限制 couple:伴侣无法同地安置 "
                         "priority:分数优先未录取 infeasible:问题不可行 no_solution:未求得解",
               closed=False),
    )
}
# Headers of the solution workbook (written, never read).
RESULT_HEADERS = {
    "summary": "概要", "placements": "安置结果", "post_fill": "岗位填报", "quota_report": "指标",
    "item": "项目", "value": "值", "candidate": "报名者", "post": "岗位", "placed": "已安置",
    "rank": "志愿序号", "adjusted": "调剂", "locked": "锁定", "reason": "原因",
    "detail": "说明", "province": "省份", "prefecture": "地州", "county": "县",
    "unit": "服务单位", "programme": "专项", "home_province": "生源地",
    "recruit_province": "招募省", "capacity": "名额", "filled": "已安置人数", "open": "空缺",
    "id": "编号", "label": "名称", "count": "计数", "base": "基数", "deviation": "偏离",
    "satisfied": "满足", "hard": "硬性", "min": "最少", "max": "最多", "min_share": "最低比例",
    "max_share": "最高比例", "problem": "问题", "status": "状态", "coverage": "覆盖",
    "quotas": "指标偏离", "preferences": "志愿代价", "bound_coverage": "覆盖（上界）",
    "bound_quotas": "指标偏离（下界）", "bound_preferences": "志愿代价（下界）",
    "candidates": "报名者人数", "placed_count": "安置人数", "unplaced_count": "未安置人数",
    "seats": "岗位名额", "seats_filled": "已填名额", "engine": "求解器", "time_s": "用时（秒）",
    "conflict": "冲突规则",
}
# Full Chinese province names reduce to the short ones above (山东省, 新疆维吾尔自治区...).
PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


@dataclass(frozen=True)
class Column:
    """One column: the JSON field it fills (also its English header) and how cells spell it."""

    key: str
    zh: str
    kind: Kind
    vocabulary: str | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False
    note: str = ""
    note_zh: str = ""
    empty_list_default: bool = True  # False: the field's default is a non-empty list
    path: str = ""  # settings rows only: where the value goes in the problem file

    def header(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.key

    def names(self) -> tuple[str, ...]:
        return (self.key, self.zh, *self.aliases)


def _col(key: str, zh: str, kind: Kind = Kind.text, vocabulary: str | None = None, *,
         aliases: tuple[str, ...] = (), required: bool = False, note: str = "", note_zh: str = "",
         empty_list_default: bool = True, path: str = "") -> Column:
    return Column(key, zh, kind, vocabulary, aliases, required, note, note_zh,
                  empty_list_default, path)


@dataclass(frozen=True)
class SheetSpec:
    """A sheet (or CSV file) and the JSON list its rows fill."""

    key: str
    zh: str
    path: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    note: str = ""
    note_zh: str = ""
    has_wishes: bool = False
    by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            for name in column.names():
                self.by_name[normalise(name)] = column

    def name(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.key

    def column(self, header: str) -> Column | None:
        return self.by_name.get(normalise(header))


CANDIDATE_COLUMNS = (
    _col("id", "编号", aliases=("报名编号", "报名者编号", "candidate"), required=True,
         note="unique candidate id", note_zh="报名者唯一编号"),
    _col("home_province", "生源地", vocabulary="province", required=True,
         note="province of household registration (code such as SD, or 山东)",
         note_zh="户籍所在省份（SD 或 山东）"),
    _col("recruit_province", "招募省", vocabulary="province",
         note="province whose office recruits (empty: the home province)",
         note_zh="招募省份（空：同生源地）"),
    _col("university", "高校", aliases=("学校", "毕业院校"), note="university id",
         note_zh="高校"),
    _col("degree", "学历", Kind.choice, "degree", note="associate, bachelor, master or doctor",
         note_zh="专科、本科、硕士、博士"),
    _col("major_category", "专业门类", vocabulary="major", aliases=("学科门类",),
         note="discipline (学科门类)", note_zh="学科门类"),
    _col("gender", "性别", Kind.choice, "gender", note="F or M", note_zh="女 或 男"),
    _col("ethnicity", "民族", note="ethnic group", note_zh="民族"),
    _col("languages", "语言", Kind.text_list, "language", aliases=("少数民族语言",),
         note="languages besides Mandarin, ';'-separated (ug;bo)",
         note_zh="普通话以外的语言，用 ; 分隔"),
    _col("level", "级别", Kind.integer, aliases=("职级",),
         note="cadre grade for secondments (higher is more senior)", note_zh="挂职干部级别"),
    _col("service_years", "服务期", Kind.int_list, empty_list_default=False,
         note="service years accepted, e.g. 1;2;3", note_zh="接受的服务年限，如 1;2;3"),
    _col("score", "分数", Kind.number, aliases=("成绩",),
         note="selection score, higher goes first", note_zh="选拔分数，高者优先"),
    _col("accept_adjustment", "服从调剂", Kind.boolean, "boolean", aliases=("调剂",),
         note="accepts any eligible post (yes/no)", note_zh="是否服从调剂（是/否）"),
    _col("partner", "伴侣", aliases=("配偶", "结伴"),
         note="id of a partner to be placed together (both rows name each other)",
         note_zh="须同地安置的伴侣编号（双方互填）"),
    _col("eligible", "审核通过", Kind.boolean, "boolean", aliases=("资格审核",),
         note="no = failed review or health check, never placed", note_zh="否 = 未通过审核或体检"),
    _col("tags", "标签", Kind.text_list, note="labels for rules, ';'-separated",
         note_zh="标签，用 ; 分隔（如 student_leader）"),
)
WISH_COLUMN = _col("wish", "志愿", Kind.wish,
                   note="a post id, or a pattern such as province=XJ;prefecture=Kashgar",
                   note_zh="岗位编号，或如 省份=新疆;地州=Kashgar 的条件")
# wish_1 ... wish_10 (and beyond), 志愿1 ... 志愿10, 第1志愿.
WISH_HEADER = re.compile(r"^(?:wish_?(\d+)|志愿_?(\d+)|第(\d+)志愿)$")

POST_COLUMNS = (
    _col("id", "编号", aliases=("岗位编号", "岗位代码", "post"), required=True,
         note="unique post id", note_zh="岗位唯一编号"),
    _col("province", "省份", vocabulary="province", aliases=("服务省",), required=True,
         note="serving province (code such as XJ, or 新疆)", note_zh="服务省份"),
    _col("prefecture", "地州", aliases=("地市", "市州"), required=True,
         note="prefecture", note_zh="地州（市）"),
    _col("county", "县", aliases=("服务县", "区县"), note="county", note_zh="服务县"),
    _col("unit", "服务单位", aliases=("单位",), note="serving organisation", note_zh="服务单位"),
    _col("programme", "专项", vocabulary="programme", required=True,
         note="special programme (basic_education, health, ...)", note_zh="专项"),
    _col("project", "项目", Kind.choice, "project", aliases=("项目类型",),
         note="national or local", note_zh="全国项目 或 地方项目"),
    _col("capacity", "名额", Kind.integer, aliases=("人数", "招募名额"),
         note="seats", note_zh="招募名额"),
    _col("weight", "权重", Kind.integer, note="importance of filling one seat (1 or more)",
         note_zh="填满一个名额的重要程度（≥1）"),
    _col("service_years", "服务期", Kind.int_list, empty_list_default=False,
         note="service years offered, e.g. 2;3", note_zh="提供的服务年限"),
    _col("min_degree", "最低学历", Kind.choice, "degree", note="lowest degree accepted",
         note_zh="最低学历"),
    _col("major_categories", "专业要求", Kind.text_list, "major",
         note="required disciplines, any of; empty = any", note_zh="限定学科门类，空 = 不限"),
    _col("preferred_major_categories", "优先专业", Kind.text_list, "major",
         note="preferred disciplines (a bonus, not a requirement)", note_zh="优先学科门类"),
    _col("languages", "语言要求", Kind.text_list, "language",
         note="languages the holder must speak", note_zh="须掌握的语言"),
    _col("gender", "性别要求", Kind.choice, "gender", note="F or M; empty = any",
         note_zh="女 或 男；空 = 不限"),
    _col("min_level", "最低级别", Kind.integer, note="lowest cadre grade", note_zh="最低干部级别"),
    _col("minority_region", "民族地区", Kind.boolean, "boolean",
         note="post lies in an ethnic-minority area", note_zh="是否民族地区"),
    _col("hardship", "艰苦类别", Kind.integer, aliases=("艰苦边远地区类别",),
         note="hardship category 0-6", note_zh="艰苦边远地区类别 0-6"),
    _col("continuity_university", "接力高校",
         note="university of the previous holder (relay, 接力)", note_zh="上一任所在高校（接力）"),
    _col("tags", "标签", Kind.text_list, note="labels for rules", note_zh="标签"),
)

QUOTA_COLUMNS = (
    _col("id", "编号", required=True, note="unique rule id", note_zh="规则编号"),
    _col("label", "名称", note="label (minority_target for the minority-region target)",
         note_zh="名称"),
    _col("candidates", "报名者范围", Kind.candidate_selector, aliases=("报名者条件",),
         note="which candidates count, e.g. recruit_province=SD|HA; empty = all",
         note_zh="计入的报名者，如 招募省=山东|河南；空 = 全部"),
    _col("posts", "岗位范围", Kind.post_selector, aliases=("岗位条件",),
         note="which posts count, e.g. minority_region=yes; empty = all",
         note_zh="计入的岗位，如 民族地区=是；空 = 全部"),
    _col("min", "最少", Kind.integer, note="at least this many", note_zh="至少人数"),
    _col("max", "最多", Kind.integer, note="at most this many", note_zh="至多人数"),
    _col("min_share", "最低比例", Kind.number, note="at least this share (0.45 = 45%)",
         note_zh="最低比例（0.45 即 45%）"),
    _col("max_share", "最高比例", Kind.number, note="at most this share", note_zh="最高比例"),
    _col("share_base", "比例基数", Kind.choice, "share_base",
         note="shares of the candidates' or the posts' placements", note_zh="比例的分母"),
    _col("hard", "硬性", Kind.boolean, "boolean", note="yes = must hold; no = may bend at a cost",
         note_zh="是 = 必须满足；否 = 可突破但扣分"),
    _col("penalty", "罚分", Kind.number, note="cost of one unit of deviation (soft quotas)",
         note_zh="每偏离一个单位的代价"),
)

PAIRING_COLUMNS = (
    _col("id", "编号", required=True, note="unique rule id", note_zh="规则编号"),
    _col("origins", "支援省份", Kind.text_list, "province", required=True,
         note="origin provinces, ';'-separated", note_zh="支援（来源）省份，用 ; 分隔"),
    _col("origin_field", "来源口径", Kind.choice, "origin_field",
         note="recruit_province or home_province", note_zh="按招募省或生源地"),
    _col("destinations", "受援岗位", Kind.post_selector,
         note="posts covered, e.g. province=XJ;prefecture=Kashgar",
         note_zh="受援岗位条件，如 省份=新疆;地州=Kashgar"),
    _col("mode", "方式", Kind.choice, "mode", required=True,
         note="exclusive: only these origins may hold the posts; bound: these origins may hold "
              "only these posts", note_zh="独占：岗位只招这些省份；限定：这些省份只去这些岗位"),
)

PAIR_COLUMNS = (
    _col("candidate", "报名者", aliases=("报名者编号", "报名编号"), required=True,
         note="candidate id", note_zh="报名者编号"),
    _col("post", "岗位", aliases=("岗位编号",), required=True, note="post id",
         note_zh="岗位编号"),
)

SETTINGS = (
    _col("name", "名称", path="name", note="name of the problem (shown in the solution)",
         note_zh="问题名称（写入结果）"),
    _col("couple_scope", "伴侣范围", Kind.choice, "couple_scope", path="rules.couple_scope",
         note="couples share a prefecture, county or province (default prefecture)",
         note_zh="伴侣须同在的范围（默认 地州）"),
    _col("respect_priority", "分数优先", Kind.boolean, "boolean", path="rules.respect_priority",
         note="score first, then wishes (default no)", note_zh="分数优先、遵循志愿（默认 否）"),
    _col("order", "目标顺序", Kind.choice_list, "tier", path="objective.order",
         note="objective tiers, best first (default coverage;quotas;preferences)",
         note_zh="目标层次（默认 覆盖;指标;志愿）"),
    _col("rank_cost", "志愿代价", Kind.choice, "rank_cost", path="objective.rank_cost",
         note="linear or quadratic (default linear)", note_zh="线性 或 平方（默认 线性）"),
    _col("adjustment_cost", "调剂代价", Kind.integer, path="objective.adjustment_cost",
         note="cost of an adjusted placement (default 10)", note_zh="调剂安置的代价（默认 10）"),
    _col("home_bonus", "回原籍加分", Kind.integer, path="objective.home_bonus",
         note="bonus for serving in the home province (default 0)",
         note_zh="回原籍服务加分（默认 0）"),
    _col("fit_bonus", "专业对口加分", Kind.integer, path="objective.fit_bonus",
         note="bonus for a preferred major (default 0)", note_zh="专业对口加分（默认 0）"),
    _col("continuity_bonus", "接力加分", Kind.integer, path="objective.continuity_bonus",
         note="bonus for the previous holder's university (default 0)",
         note_zh="接力高校加分（默认 0）"),
    _col("schema_version", "版本", path="schema_version", note="file format version (1)",
         note_zh="格式版本（1）"),
)
SETTING_KEY = _col("setting", "设置项", note="setting", note_zh="设置项")
SETTING_VALUE = _col("value", "值", note="value; empty = default", note_zh="取值；空 = 默认")
SETTING_NOTE = _col("note", "说明", note="explanation (ignored when read)",
                    note_zh="说明（不读取）")

SHEETS = (
    SheetSpec("candidates", "报名者", "candidates", CANDIDATE_COLUMNS, ("志愿者", "考生"),
              "one row per candidate; wishes in wish_1, wish_2, ...",
              "每行一名报名者；志愿填在 志愿1、志愿2 …", has_wishes=True),
    SheetSpec("posts", "岗位", "posts", POST_COLUMNS, (), "one row per post",
              "每行一个岗位"),
    SheetSpec("quotas", "指标", "rules.quotas", QUOTA_COLUMNS, ("名额",),
              "count or share bounds (minority target, recruiting indicators)",
              "人数或比例限制（民族地区目标、招募指标）"),
    SheetSpec("pairings", "对口支援", "rules.pairings", PAIRING_COLUMNS, (),
              "pairing rules (对口支援)", "对口支援规则"),
    SheetSpec("locks", "锁定", "locks", PAIR_COLUMNS, ("已确认",),
              "placements confirmed in earlier rounds", "往轮已确认的安置"),
    SheetSpec("forbidden", "禁止", "forbidden", PAIR_COLUMNS, (),
              "pairs never to be placed together", "不得安置的组合"),
    SheetSpec("settings", "设置", "", (SETTING_KEY, SETTING_VALUE, SETTING_NOTE), (),
              "objective and rule settings, one per row", "目标与规则设置，每行一项"),
)
SHEET_BY_KEY = {sheet.key: sheet for sheet in SHEETS}
# Sheets the reader skips: the template's instructions, and any sheet named '#...'.
NOTE_SHEETS = frozenset(normalise(n) for n in ("instructions", "说明", "readme", "填写说明"))


def sheet_for(name: str) -> SheetSpec | None:
    wanted = normalise(name.removesuffix(".csv"))
    for sheet in SHEETS:
        if wanted in (normalise(n) for n in (sheet.key, sheet.zh, *sheet.aliases)):
            return sheet
    return None


def setting_for(name: str) -> Column | None:
    wanted = normalise(name)
    for column in SETTINGS:
        if wanted in (normalise(n) for n in column.names()):
            return column
    return None


def selector_column(kind: Kind, key: str) -> Column | None:
    """The column a selector key names (``省份``, ``province``): candidates' or posts'."""
    sheet = SHEET_BY_KEY["candidates" if kind is Kind.candidate_selector else "posts"]
    return sheet.column(key)

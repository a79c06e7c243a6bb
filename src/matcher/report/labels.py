"""The words of the round report in Chinese (the offices' language, the default) and English.

Kept apart from the layout so that a wording fix never touches the HTML, and so that every
string a reader sees exists in both languages (a test checks the two tables have the same
keys). Province and programme names follow REFERENCE.md.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "岗位匹配结果报告",
        "subtitle": "大学生志愿服务西部计划",
        "status": "求解状态",
        "engine": "求解引擎",
        "status_optimal": "最优（已证明）",
        "status_feasible": "可行（未证明最优）",
        "status_infeasible": "无可行方案",
        "status_unknown": "未求得方案",
        "conflict": "相互冲突的规则",
        "no_round": "本轮没有可发布的方案：以下数字均为零，请先解决上述问题后重新求解。",
        "headline": "总体情况",
        "seats_filled": "已安排岗位数",
        "fill_rate": "岗位填充率",
        "candidates_placed": "已安排报名者",
        "first_wish": "第一志愿录取率",
        "mean_rank": "平均志愿序号",
        "adjusted": "服从调剂比例",
        "minority": "民族地区岗位占比",
        "unplaced": "未安排报名者",
        "locked": "前轮已确认（锁定）",
        "coverage": "加权覆盖",
        "by_province": "按服务省份的岗位填充",
        "by_programme": "按专项的岗位填充",
        "province": "省份",
        "programme": "专项",
        "seats": "岗位数",
        "filled": "已安排",
        "empty": "空缺",
        "rate": "填充率",
        "ranks": "录取志愿分布",
        "rank_n": "第{n}志愿",
        "rank_adjusted": "调剂",
        "rank_locked": "锁定",
        "people": "人数",
        "minority_title": "民族地区岗位：实际与目标",
        "minority_actual": "实际",
        "minority_target": "目标",
        "minority_none": "本轮未设民族地区目标；民族地区岗位占已安排岗位的 {share}。",
        "quotas": "名额与指标",
        "quota_id": "编号",
        "quota_label": "说明",
        "quota_kind": "类型",
        "hard": "刚性",
        "soft": "柔性",
        "quota_count": "计数 N",
        "quota_base": "基数 D",
        "quota_bounds": "要求",
        "deviation": "偏差",
        "met": "达标",
        "not_met": "未达标",
        "yes": "是",
        "no": "否",
        "unfilled": "空缺岗位",
        "unfilled_none": "所有岗位均已安排。",
        "post": "岗位",
        "unit": "服务单位",
        "location": "地点",
        "unplaced_title": "未安排报名者（按原因）",
        "unplaced_none": "所有报名者均已安排。",
        "candidate": "报名者",
        "home": "生源地",
        "score": "分数",
        "detail": "说明",
        "more_rows": "另有 {n} 条未列出（完整名单见方案文件）。",
        "footer": "本报告由 matcher 根据问题文件与方案文件生成，可离线打开，不含脚本。",
        "none": "无",
    },
    "en": {
        "title": "Post matching report",
        "subtitle": "College Student Volunteers Serving the West",
        "status": "Status",
        "engine": "Engine",
        "status_optimal": "optimal (proven)",
        "status_feasible": "feasible (not proven optimal)",
        "status_infeasible": "infeasible",
        "status_unknown": "no solution found",
        "conflict": "Conflicting rules",
        "no_round": "This round has no solution to publish: the figures below are all zero. "
                    "Resolve the problem above and solve again.",
        "headline": "Headline figures",
        "seats_filled": "Seats filled",
        "fill_rate": "Fill rate",
        "candidates_placed": "Candidates placed",
        "first_wish": "First-wish share",
        "mean_rank": "Mean wish rank",
        "adjusted": "Adjusted share",
        "minority": "Minority-region share",
        "unplaced": "Candidates unplaced",
        "locked": "Confirmed earlier (locked)",
        "coverage": "Weighted coverage",
        "by_province": "Fill by serving province",
        "by_programme": "Fill by programme",
        "province": "Province",
        "programme": "Programme",
        "seats": "Seats",
        "filled": "Filled",
        "empty": "Empty",
        "rate": "Fill rate",
        "ranks": "Wish rank of placements",
        "rank_n": "wish {n}",
        "rank_adjusted": "adjusted",
        "rank_locked": "locked",
        "people": "People",
        "minority_title": "Minority-region posts: actual against target",
        "minority_actual": "actual",
        "minority_target": "target",
        "minority_none": "No minority-region target in this round; minority-region posts hold "
                         "{share} of the seats filled.",
        "quotas": "Quotas and targets",
        "quota_id": "Id",
        "quota_label": "Label",
        "quota_kind": "Kind",
        "hard": "hard",
        "soft": "soft",
        "quota_count": "Count N",
        "quota_base": "Base D",
        "quota_bounds": "Bounds",
        "deviation": "Deviation",
        "met": "Met",
        "not_met": "not met",
        "yes": "yes",
        "no": "no",
        "unfilled": "Unfilled posts",
        "unfilled_none": "Every post is filled.",
        "post": "Post",
        "unit": "Unit",
        "location": "Location",
        "unplaced_title": "Unplaced candidates, by reason",
        "unplaced_none": "Every candidate is placed.",
        "candidate": "Candidate",
        "home": "Home",
        "score": "Score",
        "detail": "Detail",
        "more_rows": "{n} more not listed (the solution file has them all).",
        "footer": "Generated by matcher from the problem and solution files; opens offline, "
                  "contains no scripts.",
        "none": "none",
    },
}

REASONS: dict[str, dict[str, str]] = {
    "zh": {
        "not_eligible": "未通过资格审查",
        "no_eligible_post": "没有符合条件的岗位",
        "wishes_taken": "志愿岗位已满",
        "quota": "受名额或指标限制",
        "couple": "伴侣须同地安置",
        "priority": "分数优先规则",
        "objective": "整体方案取舍",
        "infeasible": "本轮无可行方案",
        "no_solution": "时限内未求得方案",
        "unknown": "原因未记录",
    },
    "en": {
        "not_eligible": "failed screening",
        "no_eligible_post": "no eligible post",
        "wishes_taken": "wished posts full",
        "quota": "held back by a quota",
        "couple": "couple placed together",
        "priority": "score-first priority",
        "objective": "trade-off of the whole round",
        "infeasible": "round infeasible",
        "no_solution": "no solution in time",
        "unknown": "no reason recorded",
    },
}

PROVINCES: dict[str, tuple[str, str]] = {
    "NM": ("内蒙古", "Inner Mongolia"), "GX": ("广西", "Guangxi"), "CQ": ("重庆", "Chongqing"),
    "SC": ("四川", "Sichuan"), "GZ": ("贵州", "Guizhou"), "YN": ("云南", "Yunnan"),
    "XZ": ("西藏", "Tibet"), "SN": ("陕西", "Shaanxi"), "GS": ("甘肃", "Gansu"),
    "QH": ("青海", "Qinghai"), "NX": ("宁夏", "Ningxia"), "XJ": ("新疆", "Xinjiang"),
    "BT": ("兵团", "XPCC"), "BJ": ("北京", "Beijing"), "TJ": ("天津", "Tianjin"),
    "HE": ("河北", "Hebei"), "SX": ("山西", "Shanxi"), "LN": ("辽宁", "Liaoning"),
    "JL": ("吉林", "Jilin"), "HL": ("黑龙江", "Heilongjiang"), "SH": ("上海", "Shanghai"),
    "JS": ("江苏", "Jiangsu"), "ZJ": ("浙江", "Zhejiang"), "AH": ("安徽", "Anhui"),
    "FJ": ("福建", "Fujian"), "JX": ("江西", "Jiangxi"), "SD": ("山东", "Shandong"),
    "HA": ("河南", "Henan"), "HB": ("湖北", "Hubei"), "HN": ("湖南", "Hunan"),
    "GD": ("广东", "Guangdong"), "HI": ("海南", "Hainan"),
}

PROGRAMMES: dict[str, tuple[str, str]] = {
    "basic_education": ("基础教育", "Basic education"),
    "agriculture": ("农业科技", "Agriculture"),
    "health": ("医疗卫生", "Health"),
    "youth_work": ("基层青年工作", "Youth work"),
    "social_governance": ("基层社会管理", "Social governance"),
    "xinjiang_service": ("服务新疆", "Serving Xinjiang"),
    "tibet_service": ("服务西藏", "Serving Tibet"),
}


def text(lang: Lang, key: str, **values: object) -> str:
    return TEXT[lang][key].format(**values) if values else TEXT[lang][key]


def reason(lang: Lang, code: str) -> str:
    return REASONS[lang].get(code, code)


def province(lang: Lang, code: str) -> str:
    """``新疆 XJ`` / ``Xinjiang (XJ)``; an unknown code as it is."""
    names = PROVINCES.get(code)
    if names is None:
        return code
    return f"{names[0]} {code}" if lang == "zh" else f"{names[1]} ({code})"


def programme(lang: Lang, code: str) -> str:
    names = PROGRAMMES.get(code)
    if names is None:
        return code
    return names[0] if lang == "zh" else names[1]

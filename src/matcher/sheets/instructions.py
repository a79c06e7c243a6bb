"""The instructions sheet (说明) at the front of every problem workbook, Chinese with English.

Why in the workbook: the person filling it in may never see the docs. Everything here is
derived from :mod:`headers`, so the instructions cannot disagree with what the reader accepts.
"""

from __future__ import annotations

from matcher.sheets.headers import SETTINGS, SHEETS, VOCABULARIES, Lang
from matcher.sheets.tables import SheetOut

GENERAL = (
    ("填写说明", "How to fill in this workbook"),
    ("每张工作表的第一行是表头，表头可用中文或英文；以 # 开头的表头或工作表名仅作备注，不读取。",
     "The first row of each sheet is its header, in Chinese or English; a header or sheet "
     "name starting with # is a note and is not read."),
    ("空白单元格表示“未填写”，取默认值。", "An empty cell means 'not given': the default applies."),
    ("多个值用分号分隔：ug;bo（也可用 ，、；）。", "Several values are separated by ';': ug;bo "
     "(',' '、' '；' also work)."),
    ("条件写作 键=值|值;键=值，| 表示“任一”：省份=新疆;艰苦类别=4|5。",
     "Conditions are key=value|value;key=value, '|' meaning any of: "
     "province=XJ;hardship=4|5."),
    ("志愿1…志愿10：填岗位编号（P017），或条件 省份=新疆;地州=Kashgar（可用 岗位、省份、地州、"
     "县、专项）。可增加 志愿11 等列。",
     "wish_1…wish_10: a post id (P017), or a pattern province=XJ;prefecture=Kashgar (keys "
     "post, province, prefecture, county, programme). Add wish_11 and more if needed."),
    ("是/否 列可填 是、否、yes、no、1、0。", "Yes/no columns take 是, 否, yes, no, 1, 0."),
    ("省份可填代码（XJ）或名称（新疆）；学历、性别、专项等可从下拉列表选择。",
     "Provinces may be codes (XJ) or names (新疆); degree, gender, programme and others have "
     "drop-down lists."),
    ("以 [ 或 { 开头的单元格按 JSON 读取。", "A cell starting with [ or { is read as JSON."),
    ("求解：matcher solve 本文件.xlsx -o 结果.xlsx", "Solve: matcher solve THIS.xlsx -o "
     "result.xlsx"),
)


def instruction_rows() -> list[tuple[str, str, str]]:
    """(中文, English, detail) rows: general rules, then every sheet and its columns."""
    rows: list[tuple[str, str, str]] = [(zh, en, "") for zh, en in GENERAL]
    for sheet in SHEETS:
        rows.append(("", "", ""))
        rows.append((f"工作表 {sheet.zh}：{sheet.note_zh}", f"Sheet {sheet.key}: {sheet.note}",
                     ""))
        columns = SETTINGS if sheet.key == "settings" else sheet.columns
        for column in columns:
            choices = ""
            if column.vocabulary and VOCABULARIES[column.vocabulary].closed:
                terms = VOCABULARIES[column.vocabulary].terms
                choices = " / ".join(f"{t.value} {t.zh}" for t in terms)
            need = "（必填）" if column.required else ""
            rows.append((f"  {column.zh}{need}：{column.note_zh}",
                         f"  {column.key}{' (required)' if column.required else ''}: "
                         f"{column.note}", choices))
    return rows


def instructions_sheet(lang: Lang) -> SheetOut:
    return SheetOut("说明" if lang == "zh" else "instructions", ["中文", "English", ""],
                    instruction_rows(), widths=[70, 80, 40])


def reference_markdown() -> str:
    """The column reference of ``docs/spreadsheets.md``, generated so the docs cannot drift.

    Regenerate the section with ``python -c "from matcher.sheets.instructions import
    reference_markdown as r; print(r())"``; a test compares the two.
    """
    out: list[str] = []
    for sheet in SHEETS:
        aliases = "".join(f", `{a}`" for a in sheet.aliases)
        out += [f"### `{sheet.key}` / `{sheet.zh}`{aliases}", "", f"{sheet.note} ({sheet.note_zh})",
                "", "| English | 中文 | also accepted | kind | meaning |", "|---|---|---|---|---|"]
        columns = SETTINGS if sheet.key == "settings" else sheet.columns
        for column in columns:
            also = ", ".join(f"`{a}`" for a in column.aliases)
            kind = column.kind.value
            if column.vocabulary and VOCABULARIES[column.vocabulary].closed:
                kind += ": " + ", ".join(f"`{t.value}` {t.zh}" for t in
                                         VOCABULARIES[column.vocabulary].terms)
            elif column.vocabulary:
                kind += f" ({column.vocabulary} names)"
            need = " **required**" if column.required else ""
            note = column.note.replace("|", "\\|")
            out.append(f"| `{column.key}`{need} | `{column.zh}` | {also} | {kind} | {note} |")
        if sheet.has_wishes:
            out.append("| `wish_1` … `wish_N` | `志愿1` … `志愿N` | `wish1`, `第1志愿` | wish | "
                       "ranked wishes, best first |")
        out.append("")
    for name in ("province", "programme", "major", "language"):
        terms = VOCABULARIES[name].terms
        out += [f"**{name} names:** " + ", ".join(f"`{t.value}` {t.zh}" for t in terms), ""]
    return "\n".join(out)

"""An independent office suite opens what we write: LibreOffice renders it to PDF, and the PDF's
text shows the Chinese sheets, the dashboard and its two charts (titles come from chart XML)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from rendered import to_pdf

from xlhfjz.batch import merge_folder
from xlhfjz.sample import default_basic, degrade, generate_community
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.office_book import write_office_workbook
from xlhfjz.xlsx.summary import write_summary


def pdf_text(soffice: str, path: Path, tmp_path: Path) -> str:
    pdf = to_pdf(soffice, path, tmp_path / "pdf")
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_summary_with_charts_renders(soffice: str, tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    for k, (name, level) in enumerate((("华侨城社区", None), ("柳泉社区", "short"))):
        code = f"37030300900{k + 1}"
        sample = generate_community(k, default_basic(name, code), scale=0.5)
        if level:
            degrade(sample, level)
        write_community_workbook(
            folder / f"{code}_{name}.xlsx", basic=sample.basic, data=sample.data
        )
    summary = write_summary(tmp_path / "汇总.xlsx", merge_folder(folder, workers=1))
    text = pdf_text(soffice, summary, tmp_path)
    for words in (
        "汇总看板",
        "各社区创建评分",
        "创建结果分布",
        "华侨城社区",
        "柳泉社区",
        "SHA-256",
    ):
        assert words in text.replace(" ", ""), words


def test_office_workbook_renders(soffice: str, tmp_path: Path) -> None:
    path = write_office_workbook(tmp_path / "街道汇总.xlsx")
    text = pdf_text(soffice, path, tmp_path).replace(" ", "")
    for words in ("街道汇总工作簿", "社区代码", "知晓户数", "否决事项", "评分参数"[:2]):
        assert words in text, words

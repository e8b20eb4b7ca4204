"""xlhfjz.frames.merged (review.md): the merged sheets as DataFrames with honest dtypes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from xlhfjz.sample import default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook

pd = pytest.importorskip("pandas")

A, B = "370303009001", "370303009002"


def test_merged_frames_have_honest_dtypes(tmp_path: Path) -> None:
    from xlhfjz.frames import merged

    folder = tmp_path / "台账"
    folder.mkdir()
    a = generate_community(3, default_basic("甲社区", A), scale=0.5)
    a.set("志愿者", 0, "mobile", 13912345678)  # typed as a number in Excel
    a.set("宣传活动", 1, "audience", "很多")  # not a count: the row is 有误
    a.set("宣传活动", 2, "activity_date", dt.date(2020, 7, 9))
    b = generate_community(4, default_basic("乙社区", B, households=900), scale=0.5)
    for code, s in ((A, a), (B, b)):
        write_community_workbook(folder / f"{code}.xlsx", basic=s.basic, data=s.data)

    frames = merged(folder, workers=1)
    assert "线索" not in frames and "重点人员" not in frames
    vol = frames["志愿者"]
    assert len(vol) == len(a.data["志愿者"]) + len(b.data["志愿者"])
    assert str(vol["手机"].dtype) == "string"
    assert vol["手机"].iloc[0] == "139****5678"
    assert str(vol["选聘日期"].dtype) == "datetime64[ns]"
    assert str(vol["来源行"].dtype) == "Int64" and vol["来源行"].iloc[0] == 3
    assert list(vol.columns[-5:]) == ["社区代码", "社区名称", "来源文件", "来源行", "校验状态"]
    assert vol["社区代码"].iloc[0] == A and str(vol["社区代码"].dtype) == "string"

    pub = frames["宣传活动"]
    assert str(pub["受众人数"].dtype) == "Int64"
    assert pub["受众人数"].isna().iloc[1] and pub["校验状态"].iloc[1] == "有误"
    assert pub["活动日期"].iloc[2] == pd.Timestamp(2020, 7, 9)
    assert str(frames["培训"]["时长"].dtype) == "Float64"

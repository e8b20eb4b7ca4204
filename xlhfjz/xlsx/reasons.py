"""Every Chinese reason a file is refused with (:class:`~xlhfjz.model.rawbook.UnreadableWorkbook`),
each saying what the user can do about it."""

from __future__ import annotations

SAVE_AS = "请在 Excel 中打开后“另存为” Excel 工作簿 (.xlsx) 再提交"


NOT_EXCEL = "不是 Excel 工作簿，请提交 .xlsx 格式的台账"


R_NOT_REGULAR = (
    "这不是普通文件（可能是管道、设备或特殊链接），不是 Excel 工作簿，请提交 .xlsx 格式的台账"
)


R_DUPLICATE_PART = (
    "文件已损坏（压缩包中有两个同名的部件 {part}），请在 Excel 中打开并重新保存为 .xlsx 后再提交"
)


R_EMPTY = "文件是空的（0 字节），可能保存或传输失败，请重新保存后再提交"


R_ENCRYPTED = "文件设置了打开密码（已加密），请在 Excel 中取消密码后另存为 .xlsx 再提交"


R_XLS = "这是旧版 Excel 97-2003 (.xls) 文件，请在 Excel 中“另存为” .xlsx 后再提交"


R_OLE_OTHER = f"这是旧版 Word/PowerPoint 等 Office 文件，{NOT_EXCEL}"


R_HTML = (
    "这是网页（HTML）文件，只是扩展名改成了 .xlsx（常见于从网页或业务系统“导出”的表格），" + SAVE_AS
)


R_TEXT = f"这是文本文件（如 CSV），只是扩展名改成了 .xlsx，{SAVE_AS}"


R_UNKNOWN = f"无法识别的文件格式（不是 Excel 工作簿），{SAVE_AS}"


R_CORRUPT = "文件已损坏或不完整（可能传输中断），请重新保存后再提交"


R_NO_WORKBOOK = (
    "压缩包里没有 Excel 工作簿（可能是 Word 等其他文件改了扩展名），请提交 .xlsx 格式的台账"
)


R_COMPRESSION = "文件使用了不支持的压缩方式，请在 Excel 中打开后重新保存为 .xlsx 再提交"


R_XML2003 = f"这是 XML 表格（Excel 2003 XML）文件，只是扩展名改成了 .xlsx，{SAVE_AS}"


R_BOMB = "文件解压后异常巨大（疑似压缩炸弹），已拒绝读取"


R_DTD = (
    "文件中含有 XML 实体声明（DOCTYPE，常见于“XML 炸弹”这类恶意文件），Excel 保存的工作簿"
    "不会有这种内容，已拒绝读取（{part}）；请在 Excel 中打开并另存为 .xlsx 后再提交"
)


R_SHEET_PART = (
    "文件已损坏（找不到工作表“{sheet}”的内容），请在 Excel 中打开并重新保存为 .xlsx 后再提交"
)


R_SHEET_XML = (
    "工作表“{sheet}”的内容不是规范的 XML（{detail}），已拒绝读取；"
    "请在 Excel 中打开并重新保存为 .xlsx 后再提交"
)

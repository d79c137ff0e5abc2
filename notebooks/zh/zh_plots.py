"""让 matplotlib 用中文字体画图：``import zh_plots`` 一行即可。

导入时在已安装的字体里找一个 CJK 字体（依次尝试 "Noto Sans CJK SC"、
"Noto Sans CJK JP" 等），把它放在 ``font.sans-serif`` 的最前面，DejaVu Sans 紧随其后
作为后备，这样标题、坐标轴和图例里的汉字不会变成方框（“豆腐块”）。
找不到任何 CJK 字体时发出一个警告，图照样能画，只是汉字会缺字。

也可以直接调用 :func:`setup`（导入时已经调用过一次），它返回所用字体的名字。
"""

from __future__ import annotations

import warnings

__all__ = ["CANDIDATES", "FONT", "setup"]

#: 按顺序尝试的 CJK 字体（简体中文优先）。
CANDIDATES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei", "Heiti SC",
)


def setup() -> str | None:
    """把找到的 CJK 字体设为 matplotlib 的默认字体；返回它的名字（找不到时返回 None）。"""
    import matplotlib
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    font = next((name for name in CANDIDATES if name in installed), None)
    if font is None:
        warnings.warn("没有找到中文字体（例如 Noto Sans CJK SC）：图中的汉字会显示成方框。", stacklevel=2)
        return None
    rest = [name for name in matplotlib.rcParams["font.sans-serif"] if name != font]
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans", *rest]
    # 负号用普通的连字符，任何字体都有这个字形。
    matplotlib.rcParams["axes.unicode_minus"] = False
    return font


#: 本次使用的字体名（找不到时为 None）。
FONT = setup()

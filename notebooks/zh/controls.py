"""中文笔记本的滑块控件：就是上一级目录里的 ``notebooks/controls.py``。

笔记本的内核在 ``notebooks/zh`` 里运行，``from controls import live`` 找到的是这个文件，
它把英文版原样导出（控件的说明文字由笔记本自己用中文给出）。
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "_tracegrad_controls_en"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).resolve().parent.parent / "controls.py")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

live = sys.modules[_NAME].live

__all__ = ["live"]

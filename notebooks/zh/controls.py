"""中文笔记本的滑块控件：就是上一级目录里的 ``notebooks/controls.py``。

笔记本的内核在 ``notebooks/zh`` 里运行，``from controls import live`` 找到的是这个文件，
它把英文版原样导出（控件的说明文字由笔记本自己用中文给出）。
"""

from __future__ import annotations

import english

live = english.load("controls").live

__all__ = ["live"]

"""每本中文笔记本最后的练习：检查读者答案的那一个函数（中文提示）。

用法与英文版 ``notebooks/exercise.py`` 相同::

    from exercise import check
    check(answer, expected, asked="三个权重的惩罚项，以及权重 2.0 的梯度",
          hint="先把每个权重平方，再相加。", success="惩罚项是 0.0525。", what="元组")

答案还是 ``...`` 时显示“还没有作答”；答对时显示“正确！<success>”；答错时显示
“还差一点：你的答案是 <answer>。要求的是：<asked>。提示：<hint>”，不抛出异常，
也不显示检查代码。比较规则（数字按相对误差 5e-3 比较，整数必须完全相等，元组和列表
逐个元素比较，或一个判断函数）和检查本身都是英文版的 :func:`check`：这里只换了提示语言
（英文版 ``MESSAGES`` 里的中文）。笔记本的内核在 ``notebooks/zh`` 里运行，所以
``import exercise`` 找到的是这个文件，它再通过 ``english.py`` 从上一级目录载入英文版。
"""

from __future__ import annotations

import english

_en = english.load("exercise")
matches = _en.matches
REL_TOL = _en.REL_TOL

__all__ = ["REL_TOL", "check", "matches"]


def check(answer: object, expected: object, *, hint: str, success: str, asked: str = "", what: str = "数字",
          rel_tol: float = REL_TOL) -> None:
    """显示“还没有作答”“正确！……”或“还差一点……”（附上要求和提示），答错时不抛出异常。

    ``expected`` 是正确答案（数字按 ``rel_tol`` 比较，整数必须相等，元组和列表逐个元素比较），
    或一个函数 ``expected(answer) -> bool``；``asked`` 用文字说明要求的答案是什么；
    ``what`` 说明答案是什么（“数字”“元组”“(W, b)”）。提示语是英文版 ``MESSAGES["zh"]`` 里的中文。
    """
    _en.check(answer, expected, hint=hint, success=success, asked=asked, what=what, rel_tol=rel_tol, lang="zh")

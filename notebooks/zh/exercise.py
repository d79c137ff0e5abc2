"""每本中文笔记本最后的练习：检查读者答案的那一个函数（中文提示）。

用法与英文版 ``notebooks/exercise.py`` 相同::

    from exercise import check
    check(answer, expected, hint="先把每个权重平方，再相加。",
          success="惩罚项是 0.0525。", what="元组")

答案还是 ``...`` 时，``check`` 打印“还没有作答”；答对时打印“正确！<success>”；
答错时抛出 :class:`WrongAnswer`（“还差一点：<answer>。<hint>”）。比较规则
（数字按相对误差、元组和列表逐个元素比较、或一个判断函数）和检查本身都是英文版的
:func:`check`：这里只换了提示语言（英文版 ``MESSAGES`` 里的中文）。笔记本的内核在
``notebooks/zh`` 里运行，所以 ``import exercise`` 找到的是这个文件，它再通过
``english.py`` 从上一级目录载入英文版。
"""

from __future__ import annotations

import english

_en = english.load("exercise")
#: 同一个异常类：英文版和中文版的错误答案都可以用 ``except WrongAnswer`` 捕获。
WrongAnswer = _en.WrongAnswer
matches = _en.matches

__all__ = ["WrongAnswer", "check", "matches"]


def check(answer: object, expected: object, *, hint: str, success: str, what: str = "数字",
          rel_tol: float = 1e-6) -> None:
    """打印“还没有作答”或“正确！……”，答错时抛出带提示的 WrongAnswer。

    ``expected`` 是正确答案（数字按 ``rel_tol`` 比较，元组和列表逐个元素比较），
    或一个函数 ``expected(answer) -> bool``；``what`` 说明答案是什么（“数字”“元组”“(W, b)”）。
    提示语是英文版 ``MESSAGES["zh"]`` 里的中文。
    """
    _en.check(answer, expected, hint=hint, success=success, what=what, rel_tol=rel_tol, lang="zh")

"""中文笔记本的辅助模块所依据的英文版：上一级目录里的 ``notebooks/<name>.py``。

中文版的 ``exercise.py`` 和 ``controls.py`` 与英文版同名，占用了这两个模块名，
所以英文版以另一个模块名（``_tracegrad_<name>_en``）从文件载入，每个进程只载入一次。
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["load"]


def load(name: str) -> ModuleType:
    """英文版的 ``notebooks/<name>.py``，以 ``_tracegrad_<name>_en`` 为模块名载入（只载入一次）。"""
    module_name = f"_tracegrad_{name}_en"
    if module_name not in sys.modules:
        path = Path(__file__).resolve().parent.parent / f"{name}.py"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]

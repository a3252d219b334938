"""Ship the add-in's sources in the wheel without moving them.

``macros/`` stays at the top of the source tree (the project's layout); this hook copies its
files into ``authbook/macros/`` of the built package, where ``authbook.functions.sources``
finds them after a plain (non-editable) ``pip install``. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
MACROS = ("AuthBook.bas", "customUI14.xml")


class BuildWithMacros(build_py):
    """``build_py`` that also copies ``macros/`` into the package as ``authbook/macros``."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "authbook" / "macros"
        target.mkdir(parents=True, exist_ok=True)
        for name in MACROS:
            self.copy_file(str(HERE / "macros" / name), str(target / name))


setup(cmdclass={"build_py": BuildWithMacros})

"""The module xlwings loads (UDF Modules: workbook.addin.udfs): every planner formula.

Importing it defines one xlwings function per catalogue entry in this module's namespace;
nothing else imports it, so building the docs or the Lite export registers nothing.
"""

from workbook.addin.wrappers import install

FORMULAS = install(globals())

"""The Excel add-in: the cell adapter every host calls (`cells`), the xlwings wrappers
generated from the catalogue (`wrappers`; `udfs` is the module xlwings loads), the xlwings
Lite export (`lite`) and the generated function reference (`reference`)."""

"""What the engine takes from one workbook: limits that keep any input's memory and time
bounded, each checked before the work it guards, and refused in one line naming it.

The embedded engine holds a few kilobytes per cell on its fast path (grid.py) and tens of
kilobytes per formula cell in formulas' model (a node of its dispatcher each); the limits
keep a workbook at them under about 1 GB. Excel's own limits are kept where Excel has one.
"""

MiB = 1 << 20

UNPACKED_BYTES = 256 * MiB  # the whole package, as it inflates (zip bombs stop here)
PART_BYTES = 64 * MiB  # one member of the package
# The longest run of XML without markup in a part the engine parses: an attribute or a
# comment that long makes the XML parser's work grow with its square. Excel's longest text
# (32,767 characters of a cell) is far shorter.
TOKEN_BYTES = 1 * MiB
CELLS = 100_000  # cells with content, in all sheets (about 1 GB of the engine's memory)
FORMULA_CELLS = 10_000  # formulas the model builds a node for (a filled-down column of one shape: one)
ARRAY_CELLS = 100_000  # the block of one array formula
RANGE_CELLS = 10_000_000  # cells one reference of a formula reads (a whole column is 1,048,576)
READ_CELLS = 50_000_000  # cells all formulas read together (a running sum down 10,000 rows reads 50 million)
FORMULA_LENGTH = 8_192  # characters of one formula (Excel's limit)
NESTING = 64  # levels of nested parentheses in one formula (Excel's limit for functions)


class LimitError(Exception):
    """A workbook beyond one of the limits; the message names the limit."""

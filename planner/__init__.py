"""Compute-budget planning with neural scaling laws.

Every public function is importable from here; its Excel formula is its name in upper
case (`chinchilla_n` is `=CHINCHILLA_N(...)`). Bad input raises `PlannerError`.
"""

from .catalog import CATALOG
from .errors import PlannerError, PlannerWarning
from .laws import *  # noqa: F401,F403
from .allocation import *  # noqa: F401,F403
from .inference import *  # noqa: F401,F403
from .hardware import *  # noqa: F401,F403
from .cost import *  # noqa: F401,F403
from .pricing import *  # noqa: F401,F403
from .fitting import *  # noqa: F401,F403
from .downstream import *  # noqa: F401,F403
from .benchmark import *  # noqa: F401,F403
from .bnsl import *  # noqa: F401,F403
from .progress import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403
from .serving import *  # noqa: F401,F403

import numpy as np
import pytest

import planner


def test_twenty_tokens_per_param_rule():
    # r = 20 gives N = sqrt(C / 120) by C = 6 N D, D = 20 N.
    c = np.array([1e20, 1e24, 1e30])
    assert np.allclose(planner.chinchilla_n(c, 20), np.sqrt(c / 120), rtol=1e-12)


def test_bad_compute_names_argument():
    with pytest.raises(planner.PlannerError, match="compute must be positive; got -1"):
        planner.chinchilla_n(-1)

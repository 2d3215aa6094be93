"""sethkit: the fine-grained complexity of tensor (higher-order) softmax attention.

The same library as the ``sethkit`` command line, in process:

* attention: ``attention``, ``attention_backward`` on NumPy arrays with any
  leading batch dimensions, for every registered backend;
* PyTorch: ``sethkit.torch.tensor_attention`` (autograd) and
  ``sethkit.torch.two_simplicial_attention`` (FBGEMM's semantics on CPU);
* the hardness chain: ``Cnf``, ``read_cnf``, ``plan``, ``reduce``, ``solve``,
  ``verify``; codes and the Merlin-Arthur protocol: ``sethkit.codes``,
  ``protocol``.

Bad input raises ``InputError`` (a ``ValueError``) with the command line's
message; a refusal by size raises ``SizeLimitError`` (a ``MemoryError``)
saying the size.

>>> import numpy as np, sethkit
>>> q = np.random.rand(8, 4); k = [np.random.rand(5, 4)] * 2; v = [np.random.rand(5, 3)] * 2
>>> o = sethkit.attention(q, k, v)      # k = 3: two key and two value sides
>>> o.shape
(8, 3)
"""

from ._sethkit import (  # noqa: F401
    Cnf,
    InputError,
    SizeLimitError,
    TimeoutError,
    UsageError,
    ToolError,
    __version__,
    parse_cnf,
    read_cnf,
)
from ._attention import attention, attention_backward, backends  # noqa: F401
from ._chain import Instance, plan, protocol, reduce, solve, verify  # noqa: F401
from . import codes  # noqa: F401

__all__ = [
    "Cnf", "InputError", "SizeLimitError", "TimeoutError", "ToolError", "UsageError", "__version__",
    "attention", "attention_backward", "backends", "parse_cnf", "read_cnf",
    "Instance", "plan", "reduce", "solve", "verify", "protocol", "codes",
]

"""The child process that runs one submission's code: never imported by the judge.

Started by :mod:`backprop_course.grading.sandbox` as ``python -I -S _child.py``
(run by path, so it starts without importing the package or numpy; inside bubblewrap
when available). It

1. reads its configuration as the first line of its standard input (nothing on its
   command line or in its environment), sets ``sys.path`` to exactly the Python
   installation and the library, drops privileges (when started as root: to
   ``nobody``), sets its resource limits (address space, CPU seconds, file size, no
   core files, no new processes) and asks to be killed when the grader dies;
2. makes the library's reference answers of the assignment unavailable (each named
   object raises "not available while grading: write your own");
3. reads requests, one JSON object per line, from its standard input;
4. ``load``: reads and parses the submission (see :mod:`.source`) from a sealed file
   descriptor, sends the grader its reading, then runs the kept statements in one
   namespace, each under a time limit, announcing each before it starts so the
   grader can skip a statement that kills the process;
5. ``run``: calls a *probe* (below) that feeds the student's functions the inputs the
   judge drew and turns what they return into plain data;
6. writes one JSON line per answer to the result pipe.

Nothing here decides a grade. The judge, in the parent, checks every answer against
values it computed itself, so a submission that patches numpy, this module or the
grader's checks in *this* process only changes what it answers, which it controls
anyway. Printed output goes to the grader's output file (emptied before each test),
never to the result pipe.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import json
import linecache
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

# Bound now, before any student code can replace the module attributes: a submission
# that patches json.loads or os.dup2 in one test must not break the grader's plumbing
# for the next one.
_write = os.write
_pread = os.pread
_ftruncate = os.ftruncate
_lseek = os.lseek
_open = open
_dumps = json.dumps
_loads = json.loads
_monotonic = time.monotonic
_signal = signal.signal
_setitimer = signal.setitimer
_setrlimit = resource.setrlimit

#: largest number of array elements / list items we encode in one answer
MAX_ELEMENTS = 2_000_000
MAX_DEPTH = 32
MAX_STR = 300


class GraderTimeout(BaseException):
    """Raised by the alarm at the time limit. BaseException: ``except Exception`` does not catch it."""


class MissingFunction(Exception):
    """The submission does not define a function the probe needs."""


class _Budget:
    """How many list items / array elements one answer may still use."""

    def __init__(self) -> None:
        self.left = MAX_ELEMENTS


# ----------------------------------------------------------------- encoding


def encode(obj: Any, budget: _Budget | None = None, depth: int = 0) -> Any:
    """Plain JSON data for ``obj``, with exact type checks.

    Only exact built-in types (and numpy's own scalars and exact ``ndarray``) are
    turned into data; anything else, subclasses included, becomes
    ``{"__object__": type name}`` so the judge can say what was returned instead
    of trusting an object's own ``__eq__``, ``__float__`` or ``tolist``.
    """
    budget = budget or _Budget()
    if depth > MAX_DEPTH:
        return {"__too_deep__": True}
    t = type(obj)
    if obj is None or t is bool or t is str and len(obj) <= MAX_STR:
        return obj
    if t is str:
        return obj[:MAX_STR] + "..."
    if t is int:
        return obj if -(2**62) < obj < 2**62 else float(obj) if abs(obj) < 2**1000 else {"__big_int__": True}
    if t is float:
        return obj
    np = sys.modules.get("numpy")
    if np is not None:
        if t is np.ndarray:
            return _encode_array(obj, budget, np)
        if isinstance(obj, np.generic) and t.__module__ == "numpy":
            if isinstance(obj, np.bool_):
                return bool(obj)
            if isinstance(obj, np.integer):
                return int(obj)
            if isinstance(obj, np.floating):
                return float(obj)
            return {"__object__": f"numpy.{t.__name__}"}
    if t is list or t is tuple:
        budget.left -= len(obj)
        if budget.left < 0:
            return {"__too_large__": len(obj)}
        items = [encode(x, budget, depth + 1) for x in obj]
        return items if t is list else {"__tuple__": items}
    if t is dict:
        budget.left -= len(obj)
        if budget.left < 0:
            return {"__too_large__": len(obj)}
        if not all(type(k) is str for k in obj):
            return {"__object__": "dict with non-string keys"}
        return {"__dict__": {k[:MAX_STR]: encode(v, budget, depth + 1) for k, v in obj.items()}}
    return {"__object__": _type_name(t)}


def _encode_array(arr: Any, budget: _Budget, np: Any) -> Any:
    kind = arr.dtype.kind
    if kind not in "biuf":
        return {"__object__": f"numpy.ndarray of dtype {arr.dtype}"}
    budget.left -= arr.size
    if budget.left < 0:
        return {"__too_large__": int(arr.size)}
    data = arr.astype(np.float64).tolist() if kind == "f" else arr.tolist()
    return {"__ndarray__": data, "shape": list(arr.shape), "dtype": str(arr.dtype)}


def _type_name(t: type) -> str:
    try:
        module = type.__getattribute__(t, "__module__")
        name = type.__getattribute__(t, "__qualname__")
    except Exception:
        return "an unknown type"
    bases = []
    for base in t.__mro__[1:]:
        if base.__module__ in ("builtins", "numpy") and base is not object:
            bases.append(f"{'' if base.__module__ == 'builtins' else 'numpy.'}{base.__name__}")
    name = name if module in ("builtins", "__submission__") else f"{module}.{name}"
    return name + (f" (a subclass of {bases[0]})" if bases else "")


def decode(obj: Any) -> Any:
    """Inverse of the judge's encoding of inputs: arrays and tuples come back as such."""
    if isinstance(obj, list):
        return [decode(x) for x in obj]
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            import numpy as np

            return np.array(obj["__ndarray__"], dtype=obj["dtype"]).reshape(obj["shape"])
        if "__tuple__" in obj:
            return tuple(decode(x) for x in obj["__tuple__"])
        if "__dict__" in obj:
            return {k: decode(v) for k, v in obj["__dict__"].items()}
    return obj


# ------------------------------------------------------------ error reports


#: one-line explanations of exceptions a learner's numeric code raises
EXPLANATIONS = {
    "OverflowError": "the numbers grew without bound: a wrong rule or a too-large learning rate",
    "ZeroDivisionError": "a division by zero: check the denominator (is an input or a gradient zero?)",
    "RecursionError": "too many nested calls: a recursion that never stops, or a graph too deep to walk recursively",
    "TypeError": "a value of the wrong type reached an operation (a missing `return`? a tuple where a number belongs?)",
    "IndexError": "an index past the end of a list or array",
    "KeyError": "a dictionary lookup of a key that is not there",
    "AttributeError": "an attribute that does not exist on that object (a typo, or the wrong object?)",
    "ValueError": "a value of the right type but the wrong shape or range",
    "FloatingPointError": "the numbers became NaN or infinite: a wrong rule or a too-large learning rate",
    "TrainingDivergedError": "the numbers became NaN or infinite: a wrong rule or a too-large learning rate",
}


def describe_error(err: BaseException, files: dict[str, str]) -> dict[str, Any]:
    """Plain data about an exception: type, message, and where in the *learner's* code it happened.

    The traceback keeps only the learner's lines (the last six, a recursion collapsed
    to one line); when the exception was raised inside a library the learner called,
    one line says so instead of the library's own traceback. A one-line explanation
    of the usual cause follows for common exception types.
    """
    etype = type(err)
    try:
        message = str(err)[:500]
    except BaseException:  # a student exception whose __str__ itself fails
        message = "(the exception's message could not be shown)"
    lines = []
    try:
        frames = traceback.extract_tb(err.__traceback__)
        shown = [f for f in frames if f.filename in files]
        collapsed: list[list[Any]] = []  # [frame, times]: deep recursion repeats one frame
        for f in shown:
            if collapsed and (collapsed[-1][0].filename, collapsed[-1][0].lineno) == (f.filename, f.lineno):
                collapsed[-1][1] += 1
            else:
                collapsed.append([f, 1])
        for f, times in collapsed[-6:]:
            lines.append(f"  {f.filename}, line {f.lineno}, in {f.name}")
            if f.line:
                lines.append(f"    {f.line.strip()[:160]}")
            if times > 1:
                lines.append(f"  [the line above repeated {times - 1} more times]")
        if frames and shown and frames[-1] is not shown[-1] and not frames[-1].filename.endswith("_child.py"):
            lines.append(f"  (raised inside {_library_of(frames[-1].filename)}, called from your line above)")
    except BaseException:
        pass
    name = etype.__name__
    if name in EXPLANATIONS and etype.__module__ in ("builtins", "backprop_course.engine"):
        lines.append(f"  Likely cause: {EXPLANATIONS[name]}.")
    return {
        "type": name if etype.__module__ == "builtins" else _type_name(etype),
        "builtin": etype.__module__ == "builtins",
        "message": message,
        "traceback": "\n".join(lines),
    }


def _library_of(filename: str) -> str:
    """``numpy``, ``backprop_course.engine``, ``math``...: what a frame's file belongs to, without its path."""
    parts = filename.replace("\\", "/").split("/")
    for i, part in enumerate(parts):
        if part in ("numpy", "backprop_course", "matplotlib"):
            return ".".join(p.removesuffix(".py") for p in parts[i:] if p != "__init__.py")
    return parts[-1].removesuffix(".py") or "the library"


# --------------------------------------------------- reference answers made unavailable
# Each name the assignment lists (``Assignment.unavailable_while_grading``) is replaced,
# before the submission is read, by something that raises a clear error when used.
# Blocked classes stay here for the probes, which run the grader's own code. (Nothing in
# one Python process is out of reach of code running in it: this stops calling the
# reference, not copying it; copying the library's source is an honour-code matter.)

_ORIGINALS: dict[str, Any] = {}


def _not_available(name: str) -> RuntimeError:
    return RuntimeError(f"{name} is not available while grading: write your own")


class Unavailable:
    """Stands in for a blocked object (a table, a class, a function): any use raises."""

    __slots__ = ("_bpc_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_bpc_name", name)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise _not_available(object.__getattribute__(self, "_bpc_name"))

    __call__ = __getitem__ = __setitem__ = __delitem__ = __iter__ = __len__ = __contains__ = _fail
    __bool__ = __setattr__ = __mro_entries__ = _fail

    def __getattr__(self, attr: str) -> Any:
        raise _not_available(object.__getattribute__(self, "_bpc_name"))

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_bpc_name')}: not available while grading>"


class _UnavailableClass(type):
    """Metaclass of a blocked class's stand-in.

    The library still imports (``nn`` reads ``Value.relu`` at import time): every
    attribute of the stand-in is a function that raises, and making an instance,
    subclassing it or ``isinstance`` with it raise.
    """

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kwargs: Any) -> Any:
        for base in bases:
            if isinstance(base, _UnavailableClass):
                raise _not_available(type.__getattribute__(base, "_bpc_name"))
        return super().__new__(mcls, name, bases, ns, **kwargs)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise _not_available(type.__getattribute__(cls, "_bpc_name"))

    def __getattribute__(cls, attr: str) -> Any:
        if attr == "_bpc_name" or (attr.startswith("__") and attr.endswith("__")):
            return type.__getattribute__(cls, attr)
        return _blocked_function(f"{type.__getattribute__(cls, '_bpc_name')}.{attr}")

    def __instancecheck__(cls, obj: Any) -> bool:
        raise _not_available(type.__getattribute__(cls, "_bpc_name"))

    def __subclasscheck__(cls, sub: Any) -> bool:
        raise _not_available(type.__getattribute__(cls, "_bpc_name"))


def _stand_in_class(dotted: str, original: type) -> Any:
    ns = {
        "_bpc_name": dotted,
        "__module__": getattr(original, "__module__", "builtins"),
        "__qualname__": getattr(original, "__qualname__", dotted),
        "__doc__": f"{dotted}: not available while grading",
    }
    return type.__new__(_UnavailableClass, original.__name__, (), ns)


def _blocked_function(name: str) -> Callable[..., Any]:
    def blocked(*args: Any, **kwargs: Any) -> Any:
        raise _not_available(name)

    blocked.__name__ = blocked.__qualname__ = name.rsplit(".", 1)[-1]
    blocked._bpc_blocked = True  # type: ignore[attr-defined]
    return blocked


def make_unavailable(names: list[str]) -> list[str]:
    """Block each dotted name as soon as its module is loaded (now, if it already is).

    Nothing is imported here: a submission that never imports the library pays
    nothing. A hook on the import system blocks the names of a library module right
    after the module runs, so every later ``from .engine import Value`` (in the
    library or the submission) gets the stand-in, and so does a ``reload``. Returns
    the names whose module is loaded but which do not exist (a grader bug).
    """
    hook = _BlockOnImport(names)
    sys.meta_path.insert(0, hook)
    missing = []
    for module_name in sorted({n.rsplit(".", 1)[0] for n in names}, key=len):
        for prefix in _prefixes(module_name):
            if prefix in sys.modules:
                missing += hook.block_module(prefix)
    return missing


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


class _BlockOnImport:
    """A meta-path finder that wraps the loader of each library module to block names after it runs."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        self.roots = {n.split(".", 1)[0] for n in names}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.split(".", 1)[0] not in self.roots:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module
        hook = self

        def exec_module(module: Any) -> None:
            run(module)
            hook.block_module(fullname)

        try:
            loader.exec_module = exec_module  # type: ignore[method-assign]
        except (AttributeError, TypeError):  # pragma: no cover - a loader we cannot wrap
            pass
        return spec

    def block_module(self, module_name: str) -> list[str]:
        """Block the names whose longest loaded module prefix is ``module_name``."""
        missing = []
        for dotted in self.names:
            if not dotted.startswith(module_name + "."):
                continue
            first = dotted[len(module_name) + 1 :].split(".", 1)[0]
            if f"{module_name}.{first}" in sys.modules:
                continue  # a submodule: blocked when that module ran
            if not _block(dotted, module_name):
                missing.append(dotted)
        return missing


def _block(dotted: str, module_name: str) -> bool:
    """Replace one name by a stand-in that raises; False if it does not exist."""
    parent: Any = sys.modules[module_name]
    *path, attr = dotted[len(module_name) + 1 :].split(".")
    try:
        for part in path:
            parent = getattr(parent, part)
        raw = parent.__dict__[attr] if isinstance(parent, type) else getattr(parent, attr)
    except (AttributeError, KeyError):
        return False
    original = getattr(parent, attr)
    if isinstance(original, (Unavailable, _UnavailableClass)) or getattr(original, "_bpc_blocked", False):
        return True
    if isinstance(original, type):
        # Kept for the grader's probes (hw4 compares the learner's class with the real one). Blocked
        # functions and tables are not kept anywhere: once replaced, nothing refers to them.
        _ORIGINALS[dotted] = original
    if isinstance(parent, type) and isinstance(raw, staticmethod):
        setattr(parent, attr, staticmethod(_blocked_function(dotted)))
        return True
    if isinstance(parent, type) and callable(raw) and not isinstance(raw, type):
        setattr(parent, attr, _blocked_function(dotted))  # a method: fails whatever it is called with
        return True
    replacement: Any
    if isinstance(original, type):
        replacement = _stand_in_class(dotted, original)
    elif callable(original):
        replacement = _blocked_function(dotted)
    else:
        replacement = Unavailable(dotted)
    setattr(parent, attr, replacement)
    # Every other reference the library holds: ``from .engine import Value`` in nn, a table of
    # (forward, backward) pairs...
    root = dotted.split(".", 1)[0]
    for name, module in list(sys.modules.items()):
        if module is None or not (name == root or name.startswith(root + ".")):
            continue
        for key, value in list(vars(module).items()):
            if value is original:
                setattr(module, key, replacement)
            elif type(value) is dict:
                for k, v in list(value.items()):
                    if v is original:
                        value[k] = replacement
                    elif type(v) in (tuple, list) and any(x is original for x in v):
                        value[k] = type(v)(replacement if x is original else x for x in v)
    if type(original) in (dict, list, set):
        original.clear()  # a table of reference answers is gone, not only hidden
    return True


def original(dotted: str) -> Any:
    """The real class behind a blocked class name, for the grader's own probes."""
    if dotted not in _ORIGINALS:
        parent, attr = _resolve_parent(dotted)  # importing it blocks it, and records the original
        if dotted not in _ORIGINALS:
            return getattr(parent, attr)
    return _ORIGINALS[dotted]


def _resolve_parent(dotted: str) -> tuple[Any, str]:
    parts = dotted.split(".")
    if len(parts) < 2:
        raise ValueError(dotted)
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:-1]:
            obj = getattr(obj, attr)
        return obj, parts[-1]
    raise ImportError(dotted)


# ------------------------------------------------------------------ probes
# A probe gets the submission's namespace and the judge's payload and returns
# plain data. Each call of a student function is guarded on its own, so one
# exception or timeout does not hide the answers to the other calls.


class Guard:
    """Runs student calls until the test's deadline, turning exceptions into data."""

    def __init__(self, deadline: float, files: dict[str, str]) -> None:
        self.deadline = deadline
        self.files = files
        self.timed_out = False
        self.memory_error = False

    def call(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """``(True, value)`` or ``(False, error dict)``."""
        if self.memory_error:
            # The first call already hit the memory limit; the next would only do it again, slowly.
            return False, {"type": "MemoryError", "builtin": True, "message": "not run", "traceback": ""}
        if self.timed_out or _monotonic() >= self.deadline:
            self.timed_out = True
            return False, {"type": "GraderTimeout", "builtin": False, "message": "not run: time limit", "skipped": 1}
        try:
            return True, fn(*args)
        except GraderTimeout:
            self.timed_out = True
            return False, {"type": "GraderTimeout", "builtin": False, "message": "time limit", "traceback": ""}
        except BaseException as err:  # SystemExit, KeyboardInterrupt and MemoryError too
            if isinstance(err, MemoryError):
                self.memory_error = True
            return False, describe_error(err, self.files)


def _function(ns: dict[str, Any], name: str) -> Callable[..., Any]:
    fn = ns.get(name)
    if fn is None or not callable(fn):
        raise MissingFunction(name)
    return fn


def probe_call(ns: dict[str, Any], payload: dict[str, Any], guard: Guard) -> dict[str, Any]:
    """Call ``payload["function"]`` once per argument list; encode each answer."""
    fn = _function(ns, payload["function"])
    answers = []
    for args in payload["calls"]:
        ok, value = guard.call(fn, *decode(args))
        answers.append({"value": encode(value)} if ok else {"error": value})
    return {"answers": answers}


def probe_topological_sort(ns: dict[str, Any], payload: dict[str, Any], guard: Guard) -> dict[str, Any]:
    """Build each graph, call ``topological_sort(root)``, map the nodes it returns to indices."""
    from backprop_course.grading.graphs import build_graph

    fn = _function(ns, "topological_sort")
    answers = []
    for desc in payload["graphs"]:
        nodes = build_graph(desc)
        index = {id(v): i for i, v in enumerate(nodes)}
        ok, value = guard.call(fn, nodes[-1])
        if not ok:
            answers.append({"error": value})
            continue
        if type(value) not in (list, tuple):
            answers.append({"wrong_type": _type_name(type(value))})
            continue
        order: list[int] = []
        strangers: list[str] = []
        for item in value[: len(nodes) * 2 + 10]:
            i = index.get(id(item), -1)
            if i >= 0 and nodes[i] is not item:
                i = -1
            order.append(i)
            if i < 0 and len(strangers) < 5:
                strangers.append(_type_name(type(item)))
        answers.append({"order": order, "strangers": strangers, "length": len(value)})
    return {"answers": answers}


def probe_backward(ns: dict[str, Any], payload: dict[str, Any], guard: Guard) -> dict[str, Any]:
    """Build each graph, call ``backward(root)``, report every node's ``grad``."""
    from backprop_course.grading.graphs import build_graph

    fn = _function(ns, "backward")
    answers = []
    for desc in payload["graphs"]:
        nodes = build_graph(desc)
        ok, value = guard.call(fn, nodes[-1])
        if not ok:
            answers.append({"error": value})
            continue
        answers.append({"grads": [encode(getattr(v, "grad", None)) for v in nodes]})
    return {"answers": answers}


def probe_train_xor(ns: dict[str, Any], payload: dict[str, Any], guard: Guard) -> dict[str, Any]:
    """Run ``train_xor`` and report its history, which backward it used, and the trained model's scores.

    We count calls of the student's ``backward`` (looked up in the submission's
    namespace at call time) and of the library's ``Value.backward``, and record the
    ``MLP`` objects made during training so the judge can score XOR with the last one.
    """
    from backprop_course.engine import Value
    from backprop_course.nn import MLP

    fn = _function(ns, "train_xor")
    counts = {"student": 0, "library": 0}
    models: list[Any] = []
    student_backward = ns.get("backward")
    library_backward = Value.backward
    mlp_init = MLP.__init__

    def counting_backward(*args: Any, **kwargs: Any) -> Any:
        counts["student"] += 1
        return student_backward(*args, **kwargs)  # type: ignore[misc]

    def counting_library_backward(self: Any) -> None:
        counts["library"] += 1
        library_backward(self)

    def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
        mlp_init(self, *args, **kwargs)
        models.append(self)

    answers = []
    try:
        if callable(student_backward):
            ns["backward"] = counting_backward
        Value.backward = counting_library_backward  # type: ignore[method-assign]
        MLP.__init__ = recording_init  # type: ignore[method-assign]
        for steps, lr, seed in payload["runs"]:
            counts["student"] = counts["library"] = 0
            models.clear()
            ok, value = guard.call(fn, steps, lr, seed)
            if not ok:
                answers.append({"error": value})
                continue
            answer: dict[str, Any] = {
                "history": encode(value),
                "student_backward_calls": counts["student"],
                "library_backward_calls": counts["library"],
                "models": len(models),
            }
            if models:
                ok, scores = guard.call(_xor_scores, models[-1], payload["inputs"])
                answer["scores"] = encode(scores) if ok else None
                if not ok:
                    answer["scores_error"] = scores
            answers.append(answer)
    finally:
        if callable(student_backward):
            ns["backward"] = student_backward
        Value.backward = library_backward  # type: ignore[method-assign]
        MLP.__init__ = mlp_init  # type: ignore[method-assign]
    return {"answers": answers}


def _xor_scores(model: Any, inputs: list[list[float]]) -> list[float]:
    """One score per input: the output, or for two outputs (softmax) logit 1 minus logit 0."""
    scores = []
    for x in inputs:
        out = model(x)
        if isinstance(out, list):
            scores.append(float(out[-1].data - out[0].data) if len(out) > 1 else float(out[0].data))
        else:
            scores.append(float(out.data))
    return scores


PROBES: dict[str, Callable[[dict[str, Any], dict[str, Any], Guard], dict[str, Any]]] = {
    "call": probe_call,
    "topological_sort": probe_topological_sort,
    "backward": probe_backward,
    "train_xor": probe_train_xor,
}


def _probe(name: str) -> Callable[[dict[str, Any], dict[str, Any], Guard], dict[str, Any]]:
    """A probe by name: one of :data:`PROBES`, or ``"module:function"`` in ``backprop_course.grading``.

    The second form (the module named with or without its ``backprop_course.grading.``
    prefix) lets a judge keep its probe in its own module (imported here, in the child);
    such a probe can use :class:`Guard`, :func:`encode`, :func:`decode` and
    :func:`original` from ``backprop_course.grading._child``.
    """
    if name in PROBES:
        return PROBES[name]
    module, _, function = name.partition(":")
    module = module.removeprefix("backprop_course.grading.")
    if not (module.isidentifier() and function.isidentifier()):
        raise ValueError(f"unknown probe {name!r}")
    probe = getattr(importlib.import_module(f"backprop_course.grading.{module}"), function)
    return probe


# --------------------------------------------------------------- the process


class Child:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.res_fd: int = config["res_fd"]
        self.submission_fd: int = config["submission_fd"]
        self.requests = os.fdopen(0, "rb")
        self.ns: dict[str, Any] = {}
        self.files: dict[str, str] = {}
        self.memory_hard = config["memory_bytes"]
        self.unblocked: list[str] = []
        self._keep: list[Any] = []  # old stdout wrappers, kept alive so GC never closes fd 1

    # -- messages
    def send(self, message: dict[str, Any]) -> None:
        data = (_dumps(message, allow_nan=True, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            n = _write(self.res_fd, view)
            view = view[n:]

    # -- output capture: fd 1 and 2 are the grader's file; it reads from offset 0
    def clear_output(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        try:
            _ftruncate(1, 0)
            _lseek(1, 0, os.SEEK_SET)
        except OSError:
            pass
        self._keep.extend([sys.stdout, sys.stderr])
        del self._keep[:-8]
        # Fresh streams: a submission may have replaced or closed sys.stdout in an earlier test.
        sys.stdout = _open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        sys.stderr = _open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)

    def flush_output(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass

    # -- alarm
    @staticmethod
    def alarm(seconds: float) -> None:
        _signal(signal.SIGALRM, _raise_timeout)
        _setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    @staticmethod
    def cancel_alarm() -> None:
        _setitimer(signal.ITIMER_REAL, 0)

    # -- commands
    def read_submission(self, name: str) -> Any:
        """Parse the submission (before any of its code runs); None if it cannot be read."""
        source = _load_source_module(self.config["sys_path"][0])
        chunks = []
        offset = 0
        while True:
            chunk = _pread(self.submission_fd, 1 << 20, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        try:
            program = source.program_from_bytes(b"".join(chunks), name)
        except source.SubmissionUnreadable as err:
            self.send({"event": "unreadable", "message": str(err)})
            return None
        except (RecursionError, MemoryError, ValueError) as err:  # nested a thousand deep, or enormous
            message = f"{name} could not be parsed ({type(err).__name__}): is it enormous, or nested very deeply?"
            self.send({"event": "unreadable", "message": message})
            return None
        self.send({"event": "parsed", "program": program.summary()})
        return program

    def load(self, msg: dict[str, Any]) -> None:
        self.clear_output()
        program = self.read_submission(str(msg["name"]))
        if program is None:
            return
        self.files = dict(program.files)
        for name, text in self.files.items():
            linecache.cache[name] = (len(text), None, text.splitlines(True), name)
        ns: dict[str, Any] = {"__name__": "__submission__", "__builtins__": builtins}
        self.ns = ns
        skip = set(msg["skip"])
        limit = float(msg["statement_time_limit"])
        codes: dict[int, Any] = {}
        failures: dict[int, dict[str, Any]] = {}
        for i, st in enumerate(program.statements):
            if i in skip:
                continue
            try:
                codes[i] = _compile(st.source, st.filename, st.lineno)
            except BaseException as err:  # pragma: no cover - the reader keeps only statements that parse
                failures[i] = describe_error(err, self.files)
        pending = sorted(codes)
        while pending:
            retry = []
            for i in pending:
                self.send({"event": "statement", "index": i})
                try:
                    self.alarm(limit)
                    exec(codes[i], ns)
                    failures.pop(i, None)
                except GraderTimeout:
                    failures[i] = {"type": "GraderTimeout", "builtin": False, "message": "time limit", "traceback": ""}
                except NameError as err:
                    failures[i] = describe_error(err, self.files)
                    retry.append(i)
                except BaseException as err:
                    failures[i] = describe_error(err, self.files)
                finally:
                    self.cancel_alarm()
            if len(retry) == len(pending):
                break
            pending = retry
        self.flush_output()
        names = {}
        for k, v in list(ns.items()):
            if type(k) is str and not k.startswith("__"):
                names[k] = "callable" if callable(v) else _type_name(type(v))
        self.send(
            {
                "event": "loaded",
                "failures": {str(i): f for i, f in failures.items()},
                "names": names,
                "unblocked": self.unblocked,
            }
        )

    def run(self, msg: dict[str, Any]) -> None:
        seq = msg["seq"]
        self.clear_output()
        memory = min(int(msg["memory_bytes"]), self.memory_hard)
        try:
            _setrlimit(resource.RLIMIT_AS, (memory, self.memory_hard))
        except (ValueError, OSError):
            pass
        limit = float(msg["time_limit"])
        guard = Guard(_monotonic() + limit, self.files)
        started = _monotonic()
        try:
            self.alarm(limit)
            result = _probe(str(msg["probe"]))(self.ns, msg["payload"], guard)
        except MissingFunction as err:
            result = {"missing": str(err.args[0])}
        except GraderTimeout:
            result = {"timeout": True}
        except BaseException as err:
            result = {"probe_error": describe_error(err, self.files)}
        finally:
            self.cancel_alarm()
        self.flush_output()
        try:
            _setrlimit(resource.RLIMIT_AS, (self.memory_hard, self.memory_hard))
        except (ValueError, OSError):
            pass
        if guard.timed_out:
            result["timed_out"] = True
        if guard.memory_error:
            result["memory_error"] = True
        self.send({"event": "result", "seq": seq, "result": result, "seconds": _monotonic() - started})

    def serve(self) -> None:
        self.unblocked = make_unavailable(list(self.config.get("unavailable", [])))
        self.send({"event": "ready", "pid": os.getpid()})
        while True:
            line = self.requests.readline()
            if not line:
                return
            msg = _loads(line)
            if msg["cmd"] == "load":
                self.load(msg)
            elif msg["cmd"] == "run":
                self.run(msg)
            else:
                return


def _raise_timeout(signum: int, frame: Any) -> None:
    raise GraderTimeout()


def _compile(source: str, filename: str, lineno: int) -> Any:
    import ast

    tree = ast.parse(source, filename)
    ast.increment_lineno(tree, int(lineno) - 1)
    return compile(tree, filename, "exec")


def _load_source_module(package_root: str) -> Any:
    """The grader's reader of submissions (:mod:`.source`), loaded by path: it needs only the standard library."""
    name = "_bpc_grading_source"
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(package_root, "backprop_course", "grading", "source.py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _secure(config: dict[str, Any]) -> None:
    """Drop privileges, then set limits (lowering limits needs no privilege)."""
    if config.get("gid") is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(config["gid"])
        os.setuid(config["uid"])
    os.umask(0o077)
    mem = config["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(config["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    out = config["output_bytes"]
    resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() != 0:
        # Root ignores RLIMIT_NPROC; for anyone else 0 means fork() and threads fail,
        # so no grandchild can outlive the kill of this process group.
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    # Write past the file-size limit: EFBIG (an OSError in the student's print), not death.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if sys.platform.startswith("linux") and not config.get("in_namespace"):
        # (Under bubblewrap the child lives in its own pid namespace, which dies with bwrap.)
        try:
            import ctypes

            # PR_SET_PDEATHSIG: die with the grader. Set after setuid, which clears it.
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - libc without prctl
            pass


def selftest(config: dict[str, Any]) -> None:
    """Exit 0 if, after dropping privileges, Python can still import what submissions use."""
    import importlib.util

    # find_spec of a top-level name does not import it (a dotted name would import its parent).
    wanted = ["math", "ctypes"] + (["numpy"] if importlib.util.find_spec("numpy") else [])
    _secure(config)
    for module in wanted:
        __import__(module)
    _load_source_module(config["sys_path"][0])
    with open(os.path.join(config["sys_path"][0], "backprop_course", "engine.py"), "rb") as f:
        f.read(1)
    os._exit(0)


def _read_config() -> dict[str, Any]:
    """The first line of standard input, read byte by byte so no request is swallowed by a buffer."""
    line = bytearray()
    while not line.endswith(b"\n"):
        b = os.read(0, 1)
        if not b:
            break
        line += b
    return json.loads(line)


def _close_other_fds(keep: set[int]) -> None:
    """Close every inherited descriptor but ours (bubblewrap's options, anything leaked by accident)."""
    try:
        fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:  # pragma: no cover - no /proc
        fds = list(range(3, 256))
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def main() -> None:
    # Probes in other modules reach this running module (its originals of blocked names) by its real name.
    sys.modules.setdefault("backprop_course.grading._child", sys.modules[__name__])
    config = _read_config()
    _close_other_fds({0, 1, 2, config["res_fd"], config.get("submission_fd", -1)})
    sys.path[:] = [p for p in config["sys_path"] if isinstance(p, str)]
    sys.argv[:] = ["__submission__"]
    os.environ["MPLBACKEND"] = "Agg"
    if config.get("selftest"):
        selftest(config)
    _secure(config)
    child = Child(config)
    try:
        child.serve()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()

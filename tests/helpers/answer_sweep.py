"""Look for right answers one attribute or one call away in a student build (issue 22 item 3).

Run as a script with only the student build importable::

    python -P answer_sweep.py PACKAGE_DIR TARGETS_JSON

``TARGETS_JSON`` (written by the instructor's side, which knows the right answers) maps
``"notes"`` and the sweep's student id to ``{question id: [right answer forms]}``. For the notes'
numbers and then for that student, the script

- walks every question object as the student is asked it: its attributes and its class's (zero-
  argument public methods called, properties read), one level into containers, and
- calls every public function of every module of the package with each graded question's numbers
  (keyword calls by parameter name, the numbers in their order, and every ordering of up to three
  of them and the values inside them; a call several jobs ask for runs once), each function in a forked
  child with a time limit (the hits it found before the limit count),

and prints ``RESULT {json}``: where a right answer turned up, the numbers it used, and which
functions it could not finish. Nothing here imports dlweek8 at module level: the comparison
helpers are tested in-process too.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import json
import math
import os
import select
import signal
import sys
import time


# -- what counts as a right answer ----------------------------------------------------------
def _plain(value, depth=0):
    """Numbers, strings, bools, tuples and sorted lists from numpy, torch and Python containers (else the value)."""
    if depth > 3:
        return value
    if hasattr(value, "tolist") and callable(value.tolist) and not isinstance(value, (str, bytes)):
        try:
            value = value.tolist()
        except Exception:  # noqa: BLE001 - a strange object: keep it as it is
            return value
    if isinstance(value, (range, set, frozenset)):
        items = [_plain(v, depth + 1) for v in value]
        try:
            return ("set", tuple(sorted(items)))
        except TypeError:
            return value
    if isinstance(value, list):
        return tuple(_plain(v, depth + 1) for v in value)
    if isinstance(value, tuple):
        return tuple(_plain(v, depth + 1) for v in value)
    return value


def same(value, target) -> bool:
    """Whether ``value`` is the answer ``target`` (plain data): numbers within a rounding of the 3rd
    significant decimal, bools only as bools, a run of input sizes as a list, a set or a range."""
    target = _plain(target)
    if _cannot_match(value, target):
        return False
    value = _plain(value)
    if isinstance(target, bool) or isinstance(value, bool):
        return type(value) is type(target) and value == target
    if isinstance(target, (int, float)) and not isinstance(target, bool):
        if isinstance(value, (int, float)):
            if isinstance(target, int) and isinstance(value, int):
                return value == target
            return math.isfinite(float(value)) and math.isclose(float(value), float(target), rel_tol=5e-4, abs_tol=5e-4)
        return False
    if isinstance(target, tuple) and target and target[0] == "set" and len(target) == 2:
        items = target[1]
        if isinstance(value, tuple) and value and value[0] == "set" and len(value) == 2:
            value = value[1]
        return isinstance(value, tuple) and tuple(sorted(value, key=repr)) == tuple(sorted(items, key=repr))
    if isinstance(target, tuple):
        if isinstance(value, tuple) and len(value) == len(target):
            return all(same(v, t) for v, t in zip(value, target, strict=True))
        return False
    if isinstance(target, str):
        return isinstance(value, str) and value.strip() == target.strip()
    return False


def _cannot_match(value, target) -> bool:
    """Whether a list or tuple ``value`` cannot be ``target`` (plain) by its length alone, before it is made plain:
    its plain form is a tuple of the same length, which :func:`same` takes only for a tuple target of that length
    or for a set (as its items, or as a ("set", items) pair). Spares making plain the long tuples a call can return."""
    if type(value) is not list and type(value) is not tuple:
        return False
    if not isinstance(target, tuple):
        return True
    if target and target[0] == "set" and len(target) == 2:
        return isinstance(target[1], tuple) and len(value) not in (2, len(target[1]))
    return len(value) != len(target)


def found_in(value, targets) -> list:
    """The targets ``value`` is."""
    hits = []
    for target in targets:
        try:
            if same(value, target):
                hits.append(target)
        except Exception:  # noqa: BLE001 - a hostile comparison: no evidence
            pass
    return hits


def _items(value):
    """One level into a container: items of lists, tuples and sets, keys and values of dicts, fields of dataclasses and plain objects."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, dict):
        return list(value.keys()) + list(value.values())
    if isinstance(value, (str, bytes, int, float, bool, range)) or value is None or inspect.isroutine(value) or inspect.isclass(value):
        return []
    found = []
    if dataclasses.is_dataclass(value):
        found += [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    try:
        found += list(vars(value).values())
    except TypeError:
        pass
    for name, attribute in vars(type(value)).items() if hasattr(type(value), "__dict__") else ():
        if isinstance(attribute, property):
            try:
                found.append(getattr(value, name))
            except Exception:  # noqa: BLE001
                pass
    return found


def _no_required_arguments(function) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values())


def attributes(obj) -> dict:
    """Every attribute of ``obj`` and of its classes: values, properties read, zero-argument public methods called."""
    found = {}
    names = list(vars(obj)) if hasattr(obj, "__dict__") else []
    for cls in type(obj).__mro__:
        if cls is not object:
            names += [name for name in vars(cls) if not (name.startswith("__") and name.endswith("__"))]
    for name in dict.fromkeys(names):
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a property that needs what this object lacks
            continue
        if inspect.ismethod(value) or inspect.isfunction(value):
            if name.startswith("_") or not _no_required_arguments(value):
                continue
            try:
                with _limit(2.0):
                    value = value()
                name += "()"
            except BaseException:  # noqa: BLE001 - whatever a method raises, it returned nothing
                continue
        found[name] = value
    return found


def attribute_hits(obj, targets) -> list:
    """(where, answer) for each attribute of ``obj`` (one level into containers) that is a right answer."""
    hits = []
    for name, value in attributes(obj).items():
        hits += [(name, repr(t)) for t in found_in(value, targets)]
        items = _items(value)
        offered = sum(isinstance(item, str) for item in items) > 1  # a list of options offers the right one among others
        for n, item in enumerate(items):
            hits += [(f"{name}[{n}]", repr(t)) for t in found_in(item, targets) if not (offered and isinstance(t, str))]
    return hits


# -- calling every public function with a question's numbers --------------------------------
ALIASES = {
    "n": "size", "k": "kernel_size", "kernel": "kernel_size", "s": "stride", "p": "padding", "d": "dilation",
    "output_size": "output", "out": "output", "in_channels": "in_channels", "channels": "in_channels",
    "c_in": "in_channels", "c_out": "out_channels", "shape": "input_shape", "x": "input_shape",
}


def pool(numbers: dict) -> dict:
    """The numbers by name, plus the values inside them (a layer's input channels, height and width...)."""
    named = dict(numbers)
    shape = numbers.get("input_shape")
    if isinstance(shape, (tuple, list)) and len(shape) >= 3:
        named.setdefault("in_channels", shape[-3])
        named.setdefault("size", tuple(shape[-2:]))
        named.setdefault("height", shape[-2])
        named.setdefault("width", shape[-1])
    values = {}
    for name, value in named.items():
        values.setdefault(name, value)
        if isinstance(value, (tuple, list)) and 0 < len(value) <= 6:
            for n, item in enumerate(value):
                values.setdefault(f"{name}[{n}]", item)
    return values


def calls(function, numbers: dict):
    """(args, kwargs) to try: by parameter name, in the numbers' order, and every ordering of up to three values."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    params = [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in params)
    star = any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
    most = len(params) if not star else 6
    named = pool(numbers)
    keywords = {}
    for p in signature.parameters.values():
        key = p.name if p.name in named else ALIASES.get(p.name)
        if key in named and p.kind is not p.POSITIONAL_ONLY:
            keywords[p.name] = named[key]
    if keywords:
        yield (), keywords
    ordered = list(numbers.values())
    for length in range(max(required, 1), min(len(ordered), most) + 1):
        yield tuple(ordered[:length]), {}
    values = list({repr(v): v for v in named.values()}.values())
    for length in range(max(required, 1), min(3, most) + 1):
        yield from ((args, {}) for args in itertools.permutations(values, length))


class _Timeout(BaseException):
    pass


class _limit:
    """Raise _Timeout in the block after ``seconds`` (SIGALRM)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def stop(*_):
            raise _Timeout

        self.previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


#: Each call's limit: a right answer takes well under a millisecond to compute; calls with large numbers
#: (a 10,000-pixel image enumerated window by window) are what reach it.
CALL_SECONDS = 0.2
#: Each function's limit in all (its hits found before it count).
FUNCTION_SECONDS = 20


def each_call_hit(function, jobs):
    """[who, question id, call, answer] for each call of ``function`` with a job's numbers that returns a right answer.

    A call that several jobs ask for (the same arguments) runs once and is compared with each job's answers."""
    import copy

    asked: dict = {}
    for who, qid, numbers, targets in jobs:
        given = pool(numbers).values()
        targets = [t for t in targets if not any(same(v, t) for v in given)]  # an answer that is one of its numbers
        for args, kwargs in calls(function, numbers):
            asked.setdefault(repr((args, sorted(kwargs.items()))), (args, kwargs, []))[2].append((who, qid, targets))
    for args, kwargs, askers in asked.values():
        try:
            with _limit(CALL_SECONDS):
                result = function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except BaseException:  # noqa: BLE001 - a call that fails returns nothing
            continue
        for who, qid, targets in askers:
            for target in found_in(result, targets):
                yield [who, qid, f"{function.__name__}(*{args!r}, **{kwargs!r})", repr(target)]


def call_hits(function, jobs) -> list:
    """Every hit of :func:`each_call_hit`."""
    return list(each_call_hit(function, jobs))


FINISHED = b'"finished"\n'


def in_child(function, jobs, seconds=FUNCTION_SECONDS) -> tuple[list, bool]:
    """The hits of ``function`` found in a forked child (a function may exit, fork or change state) within
    ``seconds``, and whether it tried every call. Each hit comes through the pipe as found, so a function
    stopped at the limit keeps the hits it made."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            for hit in each_call_hit(function, jobs):
                os.write(write, json.dumps(hit).encode() + b"\n")
            os.write(write, FINISHED)
        finally:
            os._exit(0)
    os.close(write)
    deadline, data = time.monotonic() + seconds, b""
    while not data.endswith(FINISHED) and (left := deadline - time.monotonic()) > 0:
        if select.select([read], [], [], left)[0]:
            chunk = os.read(read, 65536)
            if not chunk:
                break
            data += chunk
    os.close(read)
    try:
        os.kill(pid, signal.SIGKILL)  # past the limit, or a grandchild it left holding the pipe
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    hits = []
    for line in data.splitlines():
        try:
            hit = json.loads(line)
        except ValueError:  # a function that wrote into the pipe itself: no evidence
            continue
        if isinstance(hit, list) and len(hit) == 4:
            hits.append(hit)
    return hits, data.endswith(FINISHED)


# -- the sweep ------------------------------------------------------------------------------
def public_functions(package) -> dict:
    import importlib
    import pkgutil

    names = sorted(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".") if not m.name.endswith(".__main__"))
    found = {}
    for module in [package, *map(importlib.import_module, names)]:
        for name, obj in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def sweep(package_dir: str, targets: dict) -> dict:
    import dlweek8

    assert dlweek8.__file__.startswith(package_dir), dlweek8.__file__
    try:
        import dlweek8.instructor  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("dlweek8.instructor is importable: not a student build")
    from dlweek8 import variants

    functions = public_functions(dlweek8)
    result = {"attributes": [], "calls": [], "numbers": {}, "functions": sorted(functions), "unfinished": []}
    jobs = []
    for who, answers in targets.items():
        if who != "notes":
            dlweek8.student(who)
        for qid, forms in answers.items():
            asked = variants.question_for(qid)
            result["attributes"] += [[who, qid, where, answer] for where, answer in attribute_hits(asked, forms)]
            if variants.graded(dlweek8.checks.get(qid)):
                numbers = dlweek8.variant(qid)
                result["numbers"].setdefault(who, {})[qid] = repr(numbers)
                jobs.append((who, qid, numbers, forms))
    for name, function in functions.items():
        hits, finished = in_child(function, jobs)
        if not finished:
            result["unfinished"].append(name)
        result["calls"] += [[who, qid, f"{name.rsplit('.', 1)[0]}.{call}", answer] for who, qid, call, answer in hits]
    return result


if __name__ == "__main__":
    print("RESULT " + json.dumps(sweep(sys.argv[1], json.loads(open(sys.argv[2], encoding="utf-8").read()))), flush=True)
    os._exit(0)

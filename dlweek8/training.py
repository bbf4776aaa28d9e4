"""The adding problem in practice (notebook 03): a tanh RNN against LSTMs at several forget biases.

Data (the masked adding problem): each sequence has T steps of two inputs, a number drawn from
U(0, 1) and a marker that is 1 at two steps (one in each half of the sequence) and 0 elsewhere;
the target is the sum X₁ + X₂ of the two marked numbers. Predicting the mean, 1, scores the
baseline MSE Var(X₁ + X₂) = 2/12 = 1/6.

Everything is seeded: a model's initial weights come from ``torch.manual_seed(seed)``, the
batches from a ``torch.Generator`` of their own, and the number of CPU threads is set
explicitly (:func:`use_threads`), so a run gives the same losses every time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

#: MSE of always predicting the mean target, 1: Var(X₁ + X₂) with X ~ U(0, 1).
BASELINE_MSE = 2 / 12
#: "Has learned": the (smoothed) training loss below this.
LEARNED_MSE = 0.05
#: The models of the experiment, in the order they are shown: (name, kind, forget bias).
MODELS = (("RNN", "rnn", None), ("LSTM b_f=0", "lstm", 0.0), ("LSTM b_f=1", "lstm", 1.0), ("LSTM b_f=3", "lstm", 3.0))
#: Threads torch uses here: one, so that results do not depend on the machine's cores.
THREADS = 1


@dataclass(frozen=True)
class Setting:
    """One run of the experiment: sequence length, training steps, batch size, hidden units, optimiser."""

    T: int = 100
    steps: int = 2000
    batch: int = 32
    hidden: int = 32
    optimizer: str = "adam"  # "adam" or "sgd"
    lr: float = 1e-2
    clip: float = 1.0
    seed: int = 0


#: The full run (≤ 3 min on 2 cores) and the fast one nbval and CI use (a few seconds).
FULL = Setting()
FAST = Setting(steps=60)
#: What the batch grader runs (``DLWEEK8_SKIP_RENDER=1``): no graded answer depends on the training, so it
#: only has to run, not to learn; a class is graded about as fast as notebooks 01 and 02.
GRADING = Setting(steps=5)


#: Set to 1 for the fast setting (nbval and CI set it in tests/conftest.py; the batch grader's
#: DLWEEK8_SKIP_RENDER=1 also selects it, since nobody looks at a graded run's curves).
FAST_ENV = "DLWEEK8_FAST"


def chosen_setting() -> Setting:
    """``GRADING`` under the batch grader (``DLWEEK8_SKIP_RENDER=1``), ``FAST`` when ``DLWEEK8_FAST=1``, else ``FULL``."""
    import os

    if os.environ.get("DLWEEK8_SKIP_RENDER") == "1":
        return GRADING
    return FAST if os.environ.get(FAST_ENV) == "1" else FULL


def describe_setting(setting: Setting) -> str:
    """One line: which setting this is and its numbers."""
    which = ("the fast setting (for tests)" if setting == FAST else "the full setting" if setting == FULL
             else "the grader's setting" if setting == GRADING else "your setting")
    return (f"{which}: T = {setting.T}, {setting.steps:,} steps per model, batch {setting.batch}, {setting.hidden} hidden units, "
            f"{OPTIMIZER_NAMES.get(setting.optimizer, setting.optimizer)} (lr {setting.lr:g}), clipping at {setting.clip:g}, seed {setting.seed}")


def use_threads(n: int = THREADS) -> None:
    """Set torch's CPU threads explicitly (results are reproducible for a given thread count)."""
    torch.set_num_threads(n)


def adding_batch(batch: int, T: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(x of shape (batch, T, 2), y of shape (batch,)): numbers, markers, and the sum of the marked numbers."""
    numbers = torch.rand(batch, T, generator=generator)
    half = T // 2
    first = torch.randint(0, half, (batch,), generator=generator)
    second = torch.randint(half, T, (batch,), generator=generator)
    markers = torch.zeros(batch, T)
    rows = torch.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = numbers[rows, first] + numbers[rows, second]
    return torch.stack([numbers, markers], dim=-1), y


class AddingModel(nn.Module):
    """A recurrent layer (tanh RNN or LSTM) read out linearly from its last hidden state."""

    def __init__(self, kind: str, hidden: int, forget_bias: float | None = None):
        super().__init__()
        self.kind = kind
        if kind == "rnn":
            self.recurrent = nn.RNN(2, hidden, nonlinearity="tanh", batch_first=True)
        elif kind == "lstm":
            self.recurrent = nn.LSTM(2, hidden, batch_first=True)
            set_forget_bias(self.recurrent, forget_bias or 0.0)
        else:
            raise ValueError(f"kind must be 'rnn' or 'lstm', got {kind!r}")
        self.readout = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.recurrent(x)
        return self.readout(states[:, -1]).squeeze(-1)


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Make the forget gate's total bias b_f = ``value`` (PyTorch adds bias_ih and bias_hh; gates are i, f, g, o)."""
    k = lstm.hidden_size
    with torch.no_grad():
        lstm.bias_ih_l0[k:2 * k] = value
        lstm.bias_hh_l0[k:2 * k] = 0.0


def forget_bias(lstm: nn.LSTM) -> torch.Tensor:
    """The forget gate's total bias per unit, b_ih + b_hh."""
    k = lstm.hidden_size
    return (lstm.bias_ih_l0[k:2 * k] + lstm.bias_hh_l0[k:2 * k]).detach()


def make_model(kind: str, forget_bias: float | None, setting: Setting = FULL) -> AddingModel:
    """A freshly initialised model; the same seed gives the same weights."""
    torch.manual_seed(setting.seed)
    return AddingModel(kind, setting.hidden, forget_bias)


def models(setting: Setting = FULL) -> dict[str, AddingModel]:
    """The four models of the experiment, initialised from the setting's seed."""
    return {name: make_model(kind, bias, setting) for name, kind, bias in MODELS}


def probe_batch(setting: Setting = FULL) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed batch for measuring gradients (its own seed, apart from training's)."""
    return adding_batch(setting.batch, setting.T, torch.Generator().manual_seed(setting.seed + 12345))


def input_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """∂L/∂x (same shape as x) for the MSE loss L of ``model`` on (x, y); the model is not changed."""
    x = x.detach().clone().requires_grad_(True)
    loss = torch.mean((model(x) - y) ** 2)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def gradient_ratio(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """|∂L/∂x₀| / |∂L/∂x_{T−1}|: the gradient reaching the first step's inputs over the last step's (norms over the batch)."""
    grad = input_gradients(model, x, y).double()
    return float(grad[:, 0].norm() / grad[:, -1].norm())


def gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """|∂L/∂x_t| for t = 0 … T−1 (norms over the batch and both inputs)."""
    grad = input_gradients(model, x, y).double()
    return grad.norm(dim=(0, 2)).numpy()


def forget_gates(model: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """The LSTM's forget gates f_t = σ(W_f x_t + U_f h_{t−1} + b_f) on ``x``, shape (batch, T, units); None for the RNN."""
    lstm = model.recurrent
    if not isinstance(lstm, nn.LSTM):
        return None
    k = lstm.hidden_size
    with torch.no_grad():
        states, _ = lstm(x)
        h_prev = torch.cat([torch.zeros_like(states[:, :1]), states[:, :-1]], dim=1)
        rows = slice(k, 2 * k)  # PyTorch's gates are stacked i, f, g, o
        z = x @ lstm.weight_ih_l0[rows].T + h_prev @ lstm.weight_hh_l0[rows].T + lstm.bias_ih_l0[rows] + lstm.bias_hh_l0[rows]
        return torch.sigmoid(z)


def weight_gradient_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The norm of the loss's gradient with respect to all of the model's parameters (the model is not changed)."""
    parameters = list(model.parameters())
    grads = torch.autograd.grad(torch.mean((model(x) - y) ** 2), parameters)
    return float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))


def measure(model: nn.Module, setting: Setting) -> dict:
    """On the probe batch: the gradient ratio, the weights' gradient norm, and the forget gates' mean and most open unit."""
    x, y = probe_batch(setting)
    found = {"ratio": gradient_ratio(model, x, y), "weight_gradient": weight_gradient_norm(model, x, y)}
    gates = forget_gates(model, x)
    if gates is not None:
        per_unit = gates.mean(dim=(0, 1))
        found |= {"forget_gate": float(gates.mean()), "forget_gate_max_unit": float(per_unit.max())}
    return found


@dataclass
class Run:
    """One model's training: the loss at every step and where it first fell below ``LEARNED_MSE``."""

    name: str
    losses: np.ndarray
    setting: Setting
    forget_bias_after: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def smoothed(self) -> np.ndarray:
        return smooth(self.losses)

    @property
    def final(self) -> float:
        """The mean loss over the last 100 steps (or all of them, if fewer)."""
        return float(np.mean(self.losses[-100:]))

    @property
    def first_learned(self) -> int | None:
        """The first step whose smoothed loss is below ``LEARNED_MSE`` (None if none is)."""
        return first_below(self.smoothed, LEARNED_MSE)


def smooth(losses, window: int = 50) -> np.ndarray:
    """The running mean of the last ``window`` losses at each step (fewer at the start)."""
    losses = np.asarray(losses, dtype=float)
    total = np.cumsum(np.concatenate([[0.0], losses]))
    steps = np.arange(1, len(losses) + 1)
    start = np.maximum(steps - window, 0)
    return (total[steps] - total[start]) / (steps - start)


def first_below(values, level: float) -> int | None:
    """The first index where ``values`` is below ``level``, or None."""
    below = np.flatnonzero(np.asarray(values) < level)
    return int(below[0]) if below.size else None


#: How each optimizer is named in prose and titles.
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD"}


def optimizer_for(model: nn.Module, setting: Setting) -> torch.optim.Optimizer:
    if setting.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=setting.lr)
    if setting.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=setting.lr, momentum=0.9)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', got {setting.optimizer!r}")


def train(model: nn.Module, setting: Setting = FULL, name: str = "", progress=None) -> Run:
    """Train ``model`` on fresh batches for ``setting.steps`` steps, clipping the gradient norm at ``setting.clip``.

    ``progress`` is a tqdm-like bar (``update(1)``, ``set_postfix_str``) or None.
    """
    generator = torch.Generator().manual_seed(setting.seed + 1)
    before = measure(model, setting)
    optimizer = optimizer_for(model, setting)
    losses = np.empty(setting.steps)
    for step in range(setting.steps):
        x, y = adding_batch(setting.batch, setting.T, generator)
        loss = torch.mean((model(x) - y) ** 2)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), setting.clip)
        optimizer.step()
        losses[step] = loss.item()
        if progress is not None:
            progress.update(1)
            if step % 50 == 0 or step == setting.steps - 1:
                progress.set_postfix_str(f"{name}: loss {smooth(losses[: step + 1])[-1]:.3f}")
    bias = float(forget_bias(model.recurrent).mean()) if isinstance(model.recurrent, nn.LSTM) else None
    return Run(name, losses, setting, bias, {"before": before, "after": measure(model, setting)})


def progress_bar(total: int, notebook: bool = True):
    """tqdm's notebook bar in a notebook (its text bar elsewhere)."""
    if notebook:
        from tqdm.notebook import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, desc="training", unit="step")


def run_experiment(setting: Setting = FULL, progress: bool = True, notebook: bool = True, names=None) -> dict[str, Run]:
    """Train the models of ``MODELS`` (or only those in ``names``) under ``setting``, one after the other, with one progress bar."""
    use_threads()
    chosen = {name: model for name, model in models(setting).items() if names is None or name in names}
    if names is not None and len(chosen) != len(set(names)):
        raise ValueError(f"names must be among {[name for name, _, _ in MODELS]}, got {list(names)}")
    bar = progress_bar(setting.steps * len(chosen), notebook) if progress else None
    try:
        return {name: train(model, setting, name, bar) for name, model in chosen.items()}
    finally:
        if bar is not None:
            bar.close()


def ratios(setting: Setting = FULL) -> dict[str, float]:
    """The gradient ratio of each model at initialisation, on the probe batch."""
    use_threads()
    x, y = probe_batch(setting)
    return {name: gradient_ratio(model, x, y) for name, model in models(setting).items()}


# -- figures (each with its words and its data: alt text, a summary and a table) --------------------


def _fmt_step(step: int | None) -> str:
    return "never" if step is None else f"{step:,}"


def ratio_figure(setting: Setting = FULL):
    """A FigureView of |∂L/∂x_t| against t (log scale) for each model at initialisation."""
    from .widgets.figure import FigureView

    use_threads()
    x, y = probe_batch(setting)
    view = FigureView(7.0, 3.6)
    ax = view.figure.add_subplot()
    norms = {name: gradient_norms(model, x, y) for name, model in models(setting).items()}
    for (name, values), style in zip(norms.items(), ("-", "--", "-.", ":"), strict=True):
        ax.semilogy(np.arange(setting.T), np.maximum(values, 1e-300), style, lw=2, label=name)
    ax.set_xlabel("step t")
    ax.set_ylabel("|∂L/∂x_t| (log scale)")
    ax.set_title(f"Gradient reaching each step's input at initialisation (T = {setting.T})")
    ax.legend(loc="lower right")
    view.lay_out()
    ratio = {name: values[0] / values[-1] for name, values in norms.items()}
    words = "; ".join(f"{name} {r:.2g}" for name, r in ratio.items())
    view.describe(
        f"Line plot on a log scale of the gradient norm at each input step, for four models at initialisation. "
        f"Ratios of the first step's to the last step's: {words}.",
        f"|∂L/∂x₀| / |∂L/∂x_{{T−1}}|: {words}.",
        (("t", *norms), [(t, *(f"{values[t]:.3g}" for values in norms.values())) for t in range(0, setting.T, 9)] +
         [(setting.T - 1, *(f"{values[-1]:.3g}" for values in norms.values()))]),
    )
    view.refresh()
    return view


def loss_figure(runs: dict[str, Run]):
    """A FigureView of each model's smoothed training loss, with the baseline of predicting the mean."""
    from .widgets.figure import FigureView

    view = FigureView(7.0, 3.6)
    ax = view.figure.add_subplot()
    for (name, run), style in zip(runs.items(), ("-", "--", "-.", ":"), strict=False):
        ax.semilogy(np.arange(1, len(run.losses) + 1), run.smoothed, style, lw=2, label=name)
    ax.axhline(BASELINE_MSE, color="0.3", lw=1, label=f"baseline: predict the mean ({BASELINE_MSE:.3f})")
    ax.axhline(LEARNED_MSE, color="0.3", lw=1, ls=(0, (1, 3)), label=f"learned: {LEARNED_MSE}")
    ax.set_xlabel("training step")
    ax.set_ylabel("MSE (mean of the last 50 steps, log scale)")
    setting = next(iter(runs.values())).setting
    ax.set_title(f"Adding problem, T = {setting.T}, {OPTIMIZER_NAMES.get(setting.optimizer, setting.optimizer)}, clipping at {setting.clip:g}")
    ax.legend(loc="best", fontsize="small")  # where it hides the fewest points: the curves drop at steps that depend on T and the setting
    view.lay_out()
    words = "; ".join(f"{name} ends at {run.final:.2g}, " + (f"never below {LEARNED_MSE}" if run.first_learned is None
                                                               else f"below {LEARNED_MSE} from step {run.first_learned:,}")
                      for name, run in runs.items())
    view.describe(
        f"Line plot on a log scale of the training loss against the step for each model, with the baseline "
        f"{BASELINE_MSE:.3f} of predicting the mean. {words}.",
        words + ".",
        results_table(runs),
    )
    view.refresh()
    return view


def results_table(runs: dict[str, Run]) -> tuple:
    """(headers, rows): each model's final loss and the first step below ``LEARNED_MSE``."""
    headers = ("model", "final MSE (last 100 steps)", f"first step below {LEARNED_MSE}", "ratio after training",
               "b_f after training (mean)")
    rows = [(name, f"{run.final:.4f}", _fmt_step(run.first_learned), f"{run.extra['after']['ratio']:.2g}" if run.extra else "–",
             "–" if run.forget_bias_after is None else f"{run.forget_bias_after:.2f}") for name, run in runs.items()]
    return headers, rows


def results_html(runs: dict[str, Run]) -> str:
    """The results as an HTML table with a caption."""
    from .widgets.figure import table_html

    return table_html(*results_table(runs)).replace("The data the figure plots", "Results of the run")


def ratio_rows(ratios_by_model: dict[str, float]) -> tuple:
    """(headers, rows): each model's ratio, its power of ten, and the average factor per step over T − 1 steps."""
    headers = ("model", "|∂L/∂x₀| / |∂L/∂x_{T−1}|", "log₁₀ of the ratio")
    rows = [(name, f"{r:.2g}", f"{math.log10(r):.1f}" if r > 0 else "−∞") for name, r in ratios_by_model.items()]
    return headers, rows


def ratios_html(ratios_by_model: dict[str, float]) -> str:
    """The ratios at initialisation as an HTML table with a caption."""
    from .widgets.figure import table_html

    return table_html(*ratio_rows(ratios_by_model)).replace("The data the figure plots", "Gradient ratios at initialisation")


def describe_ratio(r: float) -> str:
    """A ratio in words: how many orders of magnitude, and the average factor per step over T − 1 steps."""
    return f"{r:.2g} (10^{math.log10(r):.1f})" if r > 0 else "0"

"""The ResNet-18 of dlweek8.resnet and its per-layer table, against torch: numel, real forward shapes, FlopCounterMode.

The totals the issue states: 11,689,512 parameters, 1.814 GMACs (3.63 GFLOPs) at 224 × 224, receptive field 435.
Then section 12's two graded exercises (a decoder's transposed convolutions, a grouped convolution): their cells
run and pass, and every number and rule their prose states is recomputed with torch.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import dlweek8
from dlweek8 import resnet
from dlweek8.instructor.references import conv as reference
from dlweek8.names import CORRECT
from solved_notebook import check_cells, prose, run_in_order


def counted_layers(model):
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.Linear))]


def test_the_totals_match_torch_and_the_stated_figures():
    model, rows = resnet.resnet18().eval(), resnet.layer_table()
    assert sum(p.numel() for p in model.parameters()) == sum(r.params for r in rows) == 11_689_512
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    macs = sum(r.macs for r in rows)
    assert counter.get_total_flops() == 2 * macs and round(macs / 1e9, 3) == 1.814 and round(2 * macs / 1e9, 2) == 3.63
    assert max(r.receptive_field or 0 for r in rows) == 435


def test_every_row_is_the_shape_and_size_of_the_real_layer():
    model, rows = resnet.resnet18().eval(), resnet.layer_table(size=224, batch=32)
    shapes = []
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape))) for m in counted_layers(model)]
    with torch.no_grad():
        model(torch.zeros(2, 3, 224, 224))
    for hook in hooks:
        hook.remove()
    assert [(2, *r.output) for r in rows] == shapes
    for row, layer in zip(rows, counted_layers(model), strict=True):
        out = torch.zeros(32, *row.output)
        assert row.activation_bytes == out.nbytes
        weights = sum(p.numel() for p in layer.parameters())
        assert row.params == weights + (2 * row.output[0] if isinstance(layer, nn.Conv2d) else 0)


def test_the_meta_device_gives_the_cpus_counts_and_shapes():
    """Notebook 02 confirms the table on PyTorch's meta device (fast); the CPU gives the same (the tests above)."""
    with torch.device("meta"):
        model = resnet.resnet18().eval()
    shapes = []
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:]))) for m in counted_layers(model)]
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, 224, 224, device="meta"))
    for hook in hooks:
        hook.remove()
    rows = resnet.layer_table()
    assert shapes == [r.output for r in rows] and counter.get_total_flops() == 2 * sum(r.macs for r in rows)
    assert sum(p.numel() for p in model.parameters()) == 11_689_512
    text = prose(" ".join(c.source for c in section_12() if c.cell_type == "markdown"))
    assert "the same counts as on the CPU" in text


def test_the_receptive_field_is_what_gradients_reach():
    """The main path's receptive field, found the way notebook 02 finds it: input cells with a non-zero gradient."""
    rows = resnet.layer_table()
    path = [(7, 2), (3, 2)] + [(3, 2 if n in (4, 8, 12) else 1) for n in range(16)]
    assert rows[-2].receptive_field == reference.receptive_field_size(path) == 435
    stack = nn.Sequential(*[nn.Conv1d(1, 1, k, s, bias=False) for k, s in path]).double()
    for layer in stack:
        nn.init.constant_(layer.weight, 1.0)
    x = torch.ones(1, 1, 600, dtype=torch.float64, requires_grad=True)
    stack(x)[0, 0, 0].backward()
    assert int((x.grad[0, 0] != 0).sum()) == 435


def section_12():
    """The cells of the solved notebook 02 (section 12 is its last)."""
    return nbformat.read(Path(__file__).resolve().parent.parent / "solutions" / "02_conv_arithmetic.ipynb", as_version=4).cells


def test_notebook_02_section_12_shows_the_table_and_torch_agrees_with_its_prose():

    cells = section_12()
    start = next(i for i, c in enumerate(cells) if c.source.startswith("## 12 A real network, counted"))
    end = next(i for i, c in enumerate(cells) if c.source.startswith("### Exercise 12"))
    section = cells[start:end]
    ran = run_in_order(cells[1:3] + section)
    *_, table, confirmed = [value for value in ran.shown.values() if value is not None]  # the id cell shows first
    html = table._repr_html_()
    assert "<caption>ResNet-18 at 224 × 224" in html and html.count('<th scope="col">') == 6
    assert re.search(r"<tfoot>.*11,689,512.*1,814,073,344.*>435<", html)
    params_torch, params_table, flops, two_macs, same_shapes = confirmed
    assert params_torch == params_table == 11_689_512 and flops == two_macs and same_shapes
    text = prose(" ".join(c.source for c in section if c.cell_type == "markdown"))
    assert "11,689,512 parameters, 1.814 GMACs (3.63 GFLOPs)" in text and "435 × 435" in text
    assert round(two_macs / 2e9, 3) == 1.814 and round(flops / 1e9, 2) == 3.63
    assert max(r.receptive_field or 0 for r in table.rows) == 435 > 224


# -- Exercises 12 and 13: the graded questions of section 12 --------------------------------------
def exercises():
    cells = section_12()
    start = next(i for i, c in enumerate(cells) if c.source.startswith("### Exercise 12"))
    return cells[start:]


def test_the_exercises_have_the_graded_layout_and_pass():
    cells = exercises()
    checks = check_cells(cells)
    assert [qid for _, qid, _ in checks] == ["network.transposed_sizes", "network.grouped_params"]
    for at, qid, _ in checks:
        assert cells[at - 2].source == f'dlweek8.your_numbers("{qid}")' and "nbval-check-output" in cells[at - 2].metadata["tags"]
        assert cells[at - 1].source.startswith("# answer") and cells[at + 1].source == f'answer_box("{qid}")'
    ran = run_in_order(section_12()[1:3] + cells)
    for _, qid, name in checks:
        assert dlweek8.check(qid, ran.namespace[name]).status == CORRECT
    assert ran.namespace["decoder_sizes"] == (14, 28) and ran.namespace["grouped_params"] == 4736
    assert list(ran.shown.values())[-1] == [589_824, 67_840]


def test_no_cell_of_section_12_but_a_check_shows_an_answer():
    """The whole answers (both sizes together, the parameter count) appear in no output but their check's.
    (The ResNet table shows 28 × 28 and 14 × 14 feature maps: a decoder from 7 × 7 retraces ResNet's stages.)"""
    cells = section_12()
    start = next(i for i, c in enumerate(cells) if c.source.startswith("## 12 A real network, counted"))
    ran = run_in_order(cells[1:3] + cells[start:])
    section = cells[1:3] + cells[start:]
    forms = ["(14, 28)", "[14, 28]", "14, 28", "14 × 28", "4736", "4,736"]
    for j, value in ran.shown.items():
        source = section[j].source
        if source.startswith(("dlweek8.check(", "answer_box(", "dlweek8.your_numbers(")):
            continue
        text = repr(value) + (value._repr_html_() if hasattr(value, "_repr_html_") else "")
        assert not [form for form in forms if form in text], (source[:80], text[:200])


def test_no_formula_or_answer_is_stated_before_its_check():
    """Derive first: the prose before each check states neither the grouped formula nor either right value."""
    cells = exercises()
    checks = {qid: at for at, qid, _ in check_cells(cells)}
    before = {qid: prose(" ".join(c.source for c in cells[:at] if c.cell_type == "markdown")) for qid, at in checks.items()}
    assert not re.search(r"\b(14|28)\b", before["network.transposed_sizes"])
    assert "4736" not in before["network.grouped_params"].replace(",", "")
    assert r"\frac{C_\text{in}}{g}" not in before["network.grouped_params"]
    after = prose(" ".join(c.source for c in cells[checks["network.grouped_params"]:] if c.cell_type == "markdown"))
    assert r"C_\text{out} \cdot \frac{C_\text{in}}{g} \cdot k_h \cdot k_w" in after


def transposed(n, k, s, p=0, q=0, d=1):
    with torch.no_grad():
        return nn.ConvTranspose2d(1, 1, k, s, p, q, dilation=d)(torch.zeros(1, 1, n, n)).shape[-1]


def forward(n, k, s, p=0):
    with torch.no_grad():
        return nn.Conv2d(1, 1, k, s, p)(torch.zeros(1, 1, n, n)).shape[-1]


def test_the_transposed_prose_is_true():
    text = prose(" ".join(c.source for c in exercises() if c.cell_type == "markdown"))
    assert "both $2m - 1$ and $2m$ go to $m$" in text and "gives back $2m - 1$, and `output_padding=1` picks $2m$" in text
    for m in range(1, 30):
        assert forward(2 * m - 1, 3, 2, 1) == forward(2 * m, 3, 2, 1) == m
        assert transposed(m, 3, 2, 1) == 2 * m - 1 and transposed(m, 3, 2, 1, 1) == 2 * m
        assert transposed(m, 4, 2, 1) == 2 * m  # DCGAN's layer doubles without output_padding
    assert "$n \\cdot s$ is right only when $d(k-1) + \\text{output\\_padding} + 1 = 2p + s$" in text
    for n, k, s, d in ((3, 2, 2, 1), (5, 3, 2, 1), (4, 5, 3, 2), (6, 4, 2, 1), (3, 3, 3, 1)):
        for p in range(d * (k - 1) + 1):
            for q in range(max(s, d)):
                if (n - 1) * s - 2 * p + d * (k - 1) + q + 1 >= 1:
                    assert (transposed(n, k, s, p, q, d) == n * s) == (d * (k - 1) + q + 1 == 2 * p + s), (n, k, s, p, q, d)


def test_the_grouped_prose_is_true():
    text = prose(" ".join(c.source for c in exercises() if c.cell_type == "markdown"))
    assert "a dense layer has 256 · 256 · 9 = 589,824 weights, the depthwise-separable pair 256 · 9 + 256 · 256 = 67,840, about 8.7 times fewer" in text
    dense = sum(p.numel() for p in nn.Conv2d(256, 256, 3, bias=False).parameters())
    depthwise = sum(p.numel() for p in nn.Conv2d(256, 256, 3, groups=256, bias=False).parameters())
    pointwise = sum(p.numel() for p in nn.Conv2d(256, 256, 1, bias=False).parameters())
    assert dense == 256 * 256 * 9 == 589_824 and depthwise + pointwise == 256 * 9 + 256 * 256 == 67_840
    assert round(dense / (depthwise + pointwise), 1) == 8.7
    assert "$g$ times fewer weights than the dense layer, and as many biases" in text
    for c_in, c_out, g in ((64, 128, 16), (12, 6, 3), (8, 8, 8)):
        grouped, dense = (nn.Conv2d(c_in, c_out, 3, groups=groups) for groups in (g, 1))
        assert grouped.weight.numel() * g == dense.weight.numel() and grouped.bias.numel() == dense.bias.numel()
    assert "has $C_\\text{out} \\cdot k_h \\cdot k_w$ weights" in text
    assert nn.Conv2d(32, 64, (3, 5), groups=32, bias=False).weight.numel() == 64 * 3 * 5


"""The ResNet-18 of dlweek8.resnet and its per-layer table, against torch: numel, real forward shapes, FlopCounterMode.

The totals the issue states: 11,689,512 parameters, 1.814 GMACs (3.63 GFLOPs) at 224 × 224, receptive field 435.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dlweek8 import resnet
from dlweek8.instructor.references import conv as reference


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


def test_notebook_02_section_12_shows_the_table_and_torch_agrees_with_its_prose():
    import re
    from pathlib import Path

    import nbformat

    from solved_notebook import prose, run_in_order

    cells = nbformat.read(Path(__file__).resolve().parent.parent / "solutions" / "02_conv_arithmetic.ipynb", as_version=4).cells
    start = next(i for i, c in enumerate(cells) if c.source.startswith("## 12 A real network, counted"))
    section = cells[start:]
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

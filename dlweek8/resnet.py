"""A ResNet-18 in plain torch (no torchvision), and its per-layer table counted with the notebook's formulas.

The table's rows are the network's convolutions, its max-pool and its linear layer in forward order;
the receptive field is that of the main path (the 1 × 1 shortcuts see less). Tested against torch
(``numel``, real forward shapes, ``FlopCounterMode``) in tests/test_network_resnet.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import conv


def resnet18(num_classes: int = 1000):
    """ResNet-18 (He et al., 2016): a 7 × 7 stem, a max-pool, four stages of two basic blocks, a linear classifier."""
    from torch import nn

    class Block(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

        def forward(self, x):
            y = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(y)) + self.shortcut(x)).relu()

    stages, c_in = [], 64
    for c_out, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        stages += [Block(c_in, c_out, stride), Block(c_out, c_out, 1)]
        c_in = c_out
    return nn.Sequential(
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        *stages, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))


@dataclass(frozen=True)
class Row:
    """One layer: its name, output shape (C, H, W) for one input, parameters (a convolution with its BatchNorm's scale and shift), MACs, float32 activation bytes for the batch, receptive field."""

    name: str
    output: tuple
    params: int
    macs: int
    activation_bytes: int
    receptive_field: int | None


def layer_table(size: int = 224, batch: int = 32, num_classes: int = 1000) -> list[Row]:
    """The per-layer table, counted without torch: output sizes by enumerating the window starts, weights,
    multiply-accumulates and the receptive field of the main path from the notebook's formulas."""
    rows, path, shape = [], [], (3, size, size)

    def receptive_field() -> int:
        field, jump = 1, 1
        for k, s in path:
            field, jump = field + (k - 1) * jump, jump * s
        return field

    def add(name, c_out, k, s, p, *, main=True, params=None, macs=None, source=None):
        c, h, w = shape if source is None else source
        out = (c_out, len(conv.window_starts(h, k, s, p)), len(conv.window_starts(w, k, s, p)))
        if main:
            path.append((k, s))
        rows.append(Row(name, out, c_out * c * k * k + 2 * c_out if params is None else params,
                        c_out * out[1] * out[2] * c * k * k if macs is None else macs,
                        4 * batch * c_out * out[1] * out[2], receptive_field() if main else None))
        return out

    shape = add("stem conv 7×7/2", 64, 7, 2, 3)
    shape = add("max-pool 3×3/2", 64, 3, 2, 1, params=0, macs=0)
    c_in = 64
    for stage, (c_out, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), start=1):
        for block in (1, 2):
            s = stride if block == 1 else 1
            block_in = shape
            shape = add(f"stage {stage} block {block} conv 3×3" + (f"/{s}" if s > 1 else ""), c_out, 3, s, 1)
            shape = add(f"stage {stage} block {block} conv 3×3", c_out, 3, 1, 1)
            if block == 1 and (s != 1 or c_in != c_out):
                add(f"stage {stage} block 1 shortcut 1×1/{s}", c_out, 1, s, 0, main=False, source=block_in)
        c_in = c_out
    linear = shape[0] * num_classes
    rows.append(Row("linear", (num_classes,), linear + num_classes, linear, 4 * batch * num_classes, None))
    return rows



@dataclass(frozen=True)
class Table:
    """The per-layer table as an HTML table with a caption (a notebook renders it), one row per layer and a total row."""

    rows: tuple
    caption: str

    def __repr__(self) -> str:
        """Plain text (where HTML does not render): the caption and the size of the table."""
        return f"{self.caption}: {len(self.rows)} layers (an HTML table)"

    def _repr_html_(self) -> str:
        from html import escape

        head = ("layer", "output (C, H, W)", "parameters", "MACs", "activations (float32, batch 32)", "receptive field")

        def line(cells, tag="td"):
            first = f'<th scope="row" style="text-align:left">{escape(cells[0])}</th>'
            return "<tr>" + first + "".join(f'<{tag} style="text-align:right">{escape(c)}</{tag}>' for c in cells[1:]) + "</tr>"

        body = [line((r.name, " × ".join(str(n) for n in r.output), f"{r.params:,}", f"{r.macs:,}",
                      f"{r.activation_bytes / 2**20:,.1f} MiB", "" if r.receptive_field is None else str(r.receptive_field)))
                for r in self.rows]
        rf = max(r.receptive_field or 0 for r in self.rows)
        total = line(("total", "", f"{sum(r.params for r in self.rows):,}", f"{sum(r.macs for r in self.rows):,}",
                      f"{sum(r.activation_bytes for r in self.rows) / 2**20:,.1f} MiB", str(rf)))
        columns = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
        return (f"<table><caption>{escape(self.caption)}</caption><thead><tr>{columns}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody><tfoot>{total}</tfoot></table>")

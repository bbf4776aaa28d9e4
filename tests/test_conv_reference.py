"""dlweek8.conv agrees with PyTorch: output shapes, parameter counts, FLOPs, and the same failures."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dlweek8 import conv
from dlweek8.instructor.references import conv as reference

FEW = settings(max_examples=60, deadline=None)

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 5)
paddings = st.integers(0, 4)
dilations = st.integers(1, 3)


def torch_or_error(fn):
    """The result of ``fn()``, or the string "error" if torch rejects the arguments."""
    try:
        return fn()
    except RuntimeError:
        return "error"


def ours_or_error(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValueError:
        return "error"


# -- output size -------------------------------------------------------------------------------
@FEW
@given(sizes, kernels, strides, paddings, dilations)
def test_output_size_1d_matches_conv1d(n, k, s, p, d):
    x, weight = torch.zeros(1, 1, n), torch.zeros(1, 1, k)
    expected = torch_or_error(lambda: F.conv1d(x, weight, stride=s, padding=p, dilation=d).shape[-1])
    assert ours_or_error(reference.output_size, n, k, s, p, d) == expected


@FEW
@given(st.tuples(sizes, sizes), st.tuples(kernels, kernels), st.tuples(strides, strides), st.tuples(paddings, paddings), st.tuples(dilations, dilations))
def test_output_size_2d_matches_conv2d(n, k, s, p, d):
    x, weight = torch.zeros(1, 1, *n), torch.zeros(1, 1, *k)
    expected = torch_or_error(lambda: tuple(F.conv2d(x, weight, stride=s, padding=p, dilation=d).shape[-2:]))
    assert ours_or_error(reference.output_size, n, k, s, p, d) == expected


@FEW
@given(st.tuples(sizes, sizes), kernels, strides, paddings)
def test_int_arguments_broadcast_over_tuple_sizes(n, k, s, p):
    expected = torch_or_error(lambda: tuple(F.conv2d(torch.zeros(1, 1, *n), torch.zeros(1, 1, k, k), stride=s, padding=p).shape[-2:]))
    assert ours_or_error(reference.output_size, n, k, s, p) == expected


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@FEW
@given(sizes, kernels, dilations, st.sampled_from(["same", "valid"]))
def test_string_padding_matches_torch(n, k, d, mode):
    expected = torch_or_error(lambda: F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), padding=mode, dilation=d).shape[-1])
    assert ours_or_error(reference.output_size, n, k, 1, mode, d) == expected


def test_same_padding_needs_stride_one_like_torch():
    with pytest.raises(RuntimeError):
        F.conv1d(torch.zeros(1, 1, 9), torch.zeros(1, 1, 3), padding="same", stride=2)
    with pytest.raises(ValueError, match="stride 1"):
        reference.output_size(9, 3, 2, "same")


def test_seed_values():
    assert reference.output_size((78, 84), 5, 3, 2) == (26, 28)
    assert reference.output_size((64, 64), (3, 5), 2, 0) == (31, 30)
    assert reference.input_sizes(16, 9, 3, 1) == range(52, 55)
    assert reference.param_count(32, 64, 7, bias=False) == 100352
    assert reference.op_count((32, 19, 19), 64, 7, stride=3) == (2508800, 2507200)
    assert reference.param_count(512, 128, 1, bias=False) == 65536


# -- input sizes -----------------------------------------------------------------------------
@FEW
@given(st.integers(1, 20), kernels, strides, paddings, dilations)
def test_input_sizes_are_exactly_the_sizes_torch_maps_to_the_output(out, k, s, p, d):
    found = reference.input_sizes(out, k, s, p, d)
    assert isinstance(found, range) and found.step == 1
    weight = torch.zeros(1, 1, k)
    top = (out + 1) * s + d * (k - 1) + 2
    by_torch = [n for n in range(1, top) if torch_or_error(lambda n=n: F.conv1d(torch.zeros(1, 1, n), weight, stride=s, padding=p, dilation=d).shape[-1]) == out]
    assert list(found) == by_torch


# -- transposed convolution and pooling ----------------------------------------------------------
@FEW
@given(st.integers(1, 12), kernels, strides, paddings, st.integers(0, 3), dilations)
def test_transposed_output_size_matches_conv_transpose2d(n, k, s, p, q, d):
    x, weight = torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k)
    expected = torch_or_error(lambda: F.conv_transpose2d(x, weight, stride=s, padding=p, output_padding=q, dilation=d).shape[-1])
    if expected == 0:  # conv_transpose2d returns an empty output for k >= 4 but raises for smaller kernels; we always raise
        expected = "error"
    assert ours_or_error(reference.transposed_output_size, n, k, s, p, q, d) == expected


def test_transposed_empty_output_is_an_error():
    # torch is not consistent here: one 2-D path returns an empty tensor, the others raise.
    assert F.conv_transpose2d(torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 4, 4), padding=2).shape[-1] == 0
    for x, weight in ((torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 2, 2)), (torch.zeros(1, 1, 1), torch.zeros(1, 1, 4))):
        with pytest.raises(RuntimeError):
            F.conv_transpose2d(x, weight, padding=1) if x.dim() == 4 else F.conv_transpose1d(x, weight, padding=2)
    for k, p in ((4, 2), (2, 1)):
        with pytest.raises(ValueError, match="the output size would be 0"):
            reference.transposed_output_size(1, k, 1, p)


@FEW
@given(sizes, kernels, strides, paddings, dilations)
def test_transposed_convolution_undoes_the_size_change(n, k, s, p, d):
    """Some output_padding in [0, s) gets each input size back from the convolution's output."""
    out = ours_or_error(reference.output_size, n, k, s, p, d)
    if out == "error":
        return
    back = {ours_or_error(reference.transposed_output_size, out, k, s, p, q, d) for q in range(max(s, d))}
    assert n in back


@FEW
@given(sizes, kernels, st.one_of(st.none(), strides), st.integers(0, 3), dilations, st.booleans())
def test_pool_output_size_matches_max_pool2d(n, k, s, p, d, ceil_mode):
    x = torch.zeros(1, 1, n, n)
    expected = torch_or_error(lambda: F.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode).shape[-1])
    assert ours_or_error(reference.pool_output_size, n, k, s, p, d, ceil_mode) == expected


@FEW
@given(sizes, kernels, strides, st.integers(0, 3), st.booleans())
def test_pool_output_size_matches_avg_pool1d(n, k, s, p, ceil_mode):
    expected = torch_or_error(lambda: F.avg_pool1d(torch.zeros(1, 1, n), k, stride=s, padding=p, ceil_mode=ceil_mode).shape[-1])
    assert ours_or_error(reference.pool_output_size, n, k, s, p, 1, ceil_mode) == expected


def test_ceil_mode_drops_a_window_that_would_start_in_the_right_padding():
    # 5 cells + 1 padding each side, kernel 2, stride 2: ceil gives 4 windows, the 4th would start at index 6 (padding).
    assert reference.pool_output_size(5, 2, 2, 1, ceil_mode=True) == 3
    assert F.max_pool1d(torch.zeros(1, 1, 5), 2, 2, 1, ceil_mode=True).shape[-1] == 3


# -- Dumoulin & Visin relations ------------------------------------------------------------------
@FEW
@given(sizes, st.integers(0, 3).map(lambda i: 2 * i + 1), dilations)
def test_half_padding_keeps_the_size_for_odd_kernels(n, k, d):
    p = conv.half_padding(k, d)
    assert reference.output_size(n, k, 1, p, d) == n
    assert F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), padding=p, dilation=d).shape[-1] == n


@FEW
@given(sizes, kernels, dilations)
def test_full_padding_grows_by_span_minus_one(n, k, d):
    p = conv.full_padding(k, d)
    span = conv.effective_kernel(k, d)
    assert span == k + (k - 1) * (d - 1)
    assert reference.output_size(n, k, 1, p, d) == n + span - 1
    assert F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), padding=p, dilation=d).shape[-1] == n + span - 1


@FEW
@given(sizes, kernels, strides, paddings, dilations)
def test_dilated_kernel_sizes_like_its_effective_kernel(n, k, s, p, d):
    assert ours_or_error(reference.output_size, n, k, s, p, d) == ours_or_error(reference.output_size, n, conv.effective_kernel(k, d), s, p, 1)


# -- which inputs a placement reaches ------------------------------------------------------------
@FEW
@given(sizes, kernels, strides, paddings, dilations)
def test_unreached_inputs_are_those_with_zero_gradient(n, k, s, p, d):
    if ours_or_error(reference.output_size, n, k, s, p, d) == "error":
        return
    x = torch.zeros(1, 1, n, requires_grad=True)
    F.conv1d(x, torch.ones(1, 1, k), stride=s, padding=p, dilation=d).sum().backward()
    assert conv.unreached_inputs(n, k, s, p, d) == tuple(torch.nonzero(x.grad[0, 0] == 0).flatten().tolist())
    assert list(reference.placements(n, k, s, p, d)) == [i * s for i in range(reference.output_size(n, k, s, p, d))]


# -- counting ------------------------------------------------------------------------------------
@FEW
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.tuples(kernels, kernels), st.booleans())
def test_param_count_matches_nn_conv2d(c_per_group, o_per_group, groups, k, bias):
    c, o = c_per_group * groups, o_per_group * groups
    layer = nn.Conv2d(c, o, k, bias=bias, groups=groups)
    assert reference.param_count(c, o, k, bias=bias, groups=groups) == sum(t.numel() for t in layer.parameters())


@pytest.mark.parametrize("module, kernel", [(nn.Conv1d, (5,)), (nn.Conv2d, 3), (nn.Conv3d, (3, 2, 1))])
def test_param_count_other_dimensions(module, kernel):
    layer = module(6, 4, kernel, groups=2)
    assert reference.param_count(6, 4, kernel, groups=2) == sum(t.numel() for t in layer.parameters())


@FEW
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(3, 14), kernels, strides, paddings, st.integers(1, 2), st.booleans())
def test_op_count_is_half_the_flops_torch_counts(c_per_group, o_per_group, groups, n, k, s, p, d, bias):
    c, o = c_per_group * groups, o_per_group * groups
    counts = ours_or_error(reference.op_count, (c, n, n), o, k, s, p, d, groups, bias)
    if counts == "error":
        assert torch_or_error(lambda: F.conv2d(torch.zeros(1, c, n, n), torch.zeros(o, c // groups, k, k), stride=s, padding=p, dilation=d, groups=groups)) == "error"
        return
    layer = nn.Conv2d(c, o, k, stride=s, padding=p, dilation=d, groups=groups, bias=bias)
    with FlopCounterMode(display=False) as counter:
        out = layer(torch.zeros(1, c, n, n))
    mults, adds = counts
    outputs = out.numel()
    assert counter.get_total_flops() == 2 * mults  # FlopCounterMode: 2 FLOPs per MAC, bias not counted
    assert mults == outputs * (c // groups) * k * k
    assert adds == mults - outputs + (outputs if bias else 0)


def test_seed_layer_flops():
    layer = nn.Conv2d(32, 64, 7, stride=3, bias=False)
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(1, 32, 19, 19))
    assert counter.get_total_flops() == 5_017_600 == 2 * reference.op_count((32, 19, 19), 64, 7, 3)[0]


def test_op_count_on_1d_inputs():
    assert reference.op_count((2, 10), 3, 3) == (3 * 8 * 6, 3 * 8 * 5)


# -- invalid arguments -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        ((10, 0), "kernel_size must be positive, got 0"),
        ((10, 3, 0), "stride must be positive, got 0"),
        ((10, 3, 1, 0, 0), "dilation must be positive, got 0"),
        ((10, 3, 1, -1), "padding must not be negative, got -1"),
        ((0, 3), "size must be positive, got 0"),
        ((3, 5), r"the kernel \(span 5\) is larger than the padded input \(3 \+ 2\*0 = 3\)"),
        ((3, 3, 1, 0, 2), r"the kernel \(span 5\) is larger"),
        (((8, 8), (3, 3, 3)), "must have the same length"),
        ((8.0, 3), "size must be an integer, got 8.0"),
        ((8, True), "kernel_size must be an integer, got True"),
        ((8, 3, 1, "full"), "padding must be an int, a tuple, 'valid' or 'same'"),
        (((), 3), "must not be empty"),
    ],
)
def test_output_size_rejects_invalid_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        reference.output_size(*args)


def test_other_functions_reject_invalid_arguments():
    with pytest.raises(ValueError, match="output_size must be positive"):
        reference.input_sizes(0, 3)
    with pytest.raises(ValueError, match="divisible by groups"):
        reference.param_count(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"same length \(size has 1, kernel_size has 2\)"):
        reference.op_count((3, 10), 4, (3, 3))
    with pytest.raises(ValueError, match="input_shape must be"):
        reference.op_count(10, 4, 3)
    with pytest.raises(ValueError, match="output_padding \\(2\\) must be smaller than the stride \\(2\\) or the dilation \\(1\\)"):
        reference.transposed_output_size(4, 3, 2, 0, 2)
    with pytest.raises(ValueError, match="at most half the kernel size"):
        reference.pool_output_size(10, 3, 2, 2)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        conv.effective_kernel(0)


def test_input_sizes_can_be_empty():
    # With padding 3 and a 1-wide kernel, even n = 1 gives an output of 7: no input gives 2.
    assert reference.input_sizes(2, 1, 1, 3) == range(1, 1) and len(reference.input_sizes(2, 1, 1, 3)) == 0
    assert reference.output_size(1, 1, 1, 3) == 7


def test_the_module_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, dlweek8.conv, dlweek8.checks.conv; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


# -- stacks of layers and the im2col view ----------------------------------------------------------
@FEW
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=4))
def test_receptive_field_is_the_span_of_the_gradient_of_one_output(layers):
    stack = nn.Sequential(*[nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False) for k, s, d in layers])
    for layer in stack:
        nn.init.constant_(layer.weight, 1.0)
    r = reference.receptive_field_size(layers)
    x = torch.zeros(1, 1, 2 * r + 2 * math.prod(s for _, s, _ in layers), requires_grad=True)
    out = stack(x)
    out[0, 0, out.shape[-1] // 2].backward()
    hit = torch.nonzero(x.grad[0, 0]).flatten()
    assert int(hit.max() - hit.min() + 1) == r


def test_receptive_field_takes_pairs_and_rejects_nonsense():
    assert reference.receptive_field_size([(3, 2), (3, 1)]) == reference.receptive_field_size([(3, 2, 1), (3, 1, 1)]) == 7
    assert reference.receptive_field_size([]) == 1
    with pytest.raises(ValueError, match="layer 0 must be"):
        reference.receptive_field_size([3])
    with pytest.raises(ValueError, match="must be positive"):
        reference.receptive_field_size([(3, 0)])


@FEW
@given(st.integers(1, 3), st.integers(1, 4), st.integers(3, 16), st.integers(3, 16), st.integers(1, 4), strides, st.integers(0, 2), st.integers(1, 2))
def test_unfold_shape_matches_f_unfold(batch, channels, h, w, k, s, p, d):
    x = torch.zeros(batch, channels, h, w)
    expected = torch_or_error(lambda: tuple(F.unfold(x, k, dilation=d, padding=p, stride=s).shape))
    assert ours_or_error(reference.unfold_shape, (batch, channels, h, w), k, s, p, d) == expected


def test_a_convolution_is_a_matrix_product_of_its_weights_with_the_unfolded_input():
    """The im2col view: (C_out, C·k·k) @ (C·k·k, L) multiplications are the op count's."""
    torch.manual_seed(0)
    layer = nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False)
    x = torch.randn(2, 3, 9, 9)
    cols = F.unfold(x, 3, padding=1, stride=2)
    out = (layer.weight.reshape(4, -1) @ cols).reshape(2, 4, 5, 5)
    assert torch.allclose(out, layer(x), atol=1e-5)
    n, rows, columns = reference.unfold_shape((1, 3, 9, 9), 3, 2, 1)
    assert reference.op_count((3, 9, 9), 4, 3, 2, 1)[0] == 4 * rows * columns


@FEW
@given(sizes, kernels, strides, paddings, dilations)
def test_leftover_cells_at_the_end_are_covered_by_no_window(n, k, s, p, d):
    """The last (n + 2p − k_eff) mod s padded cells lie past the last window; the next window does not fit."""
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        return
    out = reference.output_size(n, k, s, p, d)
    padded = torch.zeros(1, 1, n + 2 * p, requires_grad=True)
    F.conv1d(padded, torch.ones(1, 1, k), stride=s, dilation=d).sum().backward()
    covered = torch.nonzero(padded.grad[0, 0]).flatten().tolist()
    leftover = (n + 2 * p - span) % s
    assert max(covered) == n + 2 * p - 1 - leftover
    assert out * s + span - 1 > n + 2 * p - 1  # the next window would end past the padded input

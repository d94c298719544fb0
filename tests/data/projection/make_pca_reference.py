#!/usr/bin/python3
"""Write PCA and basis reference values computed with numpy for the C++ tests.

pca_reference.json holds PcaColours cases, basis_reference.json one
Basis::Fit corpus with its fitted basis and the colours Basis::Apply gives.

Run with Debian's python3-numpy: /usr/bin/python3 make_pca_reference.py

The method is the one PcaColours documents: centre the rows, take the top
three principal axes, flip each axis so that its largest-magnitude entry is
positive, project, and scale each channel min-max to 0..255 with floor. This
script finds the axes with numpy.linalg.svd of the centred matrix and checks
them against numpy.linalg.eigh of the covariance, which is a different route
from the C++ code (an eigendecomposition of the Gram or scatter matrix).
A component whose squared singular value is at most 1e-10 of the largest is
undefined, and its channel is 0.

Every case is rejected unless its colours are robust. No scaled value may lie
within 1e-6 of an integer (except the exact 0 and 255 ends), and each axis's
largest entry must beat the runner-up in magnitude by at least 1e-6. Rounding
differences between implementations then cannot change a colour.
"""

import json
import math
import pathlib

import numpy as np

UNDEFINED_RATIO = 1e-10
MARGIN = 1e-6


def principal_axes(hidden):
    centred = hidden - hidden.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variances = singular**2
    axes = []
    for k in range(min(3, len(variances))):
        if not variances[0] > 0 or variances[k] <= UNDEFINED_RATIO * variances[0]:
            break
        axis = vt[k].copy()
        magnitudes = np.sort(np.abs(axis))[::-1]
        if len(axis) > 1:
            assert magnitudes[0] - magnitudes[1] > MARGIN, "sign rule tie"
        if axis[np.argmax(np.abs(axis))] < 0:
            axis = -axis
        axes.append(axis)
    check_against_eigh(centred, axes)
    return centred, axes


def check_against_eigh(centred, axes):
    if not axes:
        return
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(values)[::-1]
    for k, axis in enumerate(axes):
        other = vectors[:, order[k]]
        assert values[order[k]] - values[order[k + 1]] > 1e-9 * values[order[0]] \
            if k + 1 < len(order) else True, "repeated eigenvalue"
        assert min(np.abs(axis - other).max(), np.abs(axis + other).max()) < 1e-9


def colours(hidden):
    centred, axes = principal_axes(hidden)
    rows = hidden.shape[0]
    result = [[0, 0, 0] for _ in range(rows)]
    for channel, axis in enumerate(axes):
        values = centred @ axis
        low, high = values.min(), values.max()
        if not high - low > 0:
            continue
        for row, value in enumerate(values):
            # Dividing first keeps the maximum at exactly 1.0, hence 255.
            scaled = 255.0 * ((value - low) / (high - low))
            nearest = round(scaled)
            if nearest not in (0, 255):
                assert abs(scaled - nearest) > MARGIN, f"{scaled} is too close to an integer"
            result[row][channel] = min(255, max(0, math.floor(scaled)))
        assert max(colour[channel] for colour in result) == 255
    return result


def case(name, hidden):
    hidden = np.asarray(hidden, dtype=np.float32)
    return {
        "name": name,
        "hidden": [[float(v) for v in row] for row in hidden],
        "colours": colours(hidden.astype(np.float64)),
    }


def basis_reference(rng):
    """Fits a basis with numpy and applies it as Basis::Apply does.

    Basis stores float32, so the expected colours come from the basis rounded
    to float32; each scaled value must stay 1e-4 away from an integer.
    """
    corpus = rng.standard_normal((40, 6)).astype(np.float32) * np.float32(2.0)
    corpus[:, 2] += np.float32(5.0)
    low_percentile, high_percentile = 5.0, 95.0
    centred, axes = principal_axes(corpus.astype(np.float64))
    assert len(axes) == 3
    projections = centred @ np.array(axes).T
    low = np.percentile(projections, low_percentile, axis=0)
    high = np.percentile(projections, high_percentile, axis=0)

    mean32 = corpus.astype(np.float64).mean(axis=0).astype(np.float32).astype(np.float64)
    axes32 = np.array(axes).astype(np.float32).astype(np.float64)
    low32 = low.astype(np.float32).astype(np.float64)
    high32 = high.astype(np.float32).astype(np.float64)
    inputs = np.concatenate([corpus[:6], rng.standard_normal((4, 6)).astype(np.float32) * 4])
    expected = []
    for row in inputs.astype(np.float64):
        colour = []
        for k in range(3):
            position = ((row - mean32) @ axes32[k] - low32[k]) / (high32[k] - low32[k])
            scaled = 255.0 * min(1.0, max(0.0, position))
            if 0.0 < position < 1.0:
                assert abs(scaled - round(scaled)) > 1e-4, f"{scaled} is too close to an integer"
            colour.append(math.floor(scaled))
        expected.append(colour)
    return {
        "low_percentile": low_percentile,
        "high_percentile": high_percentile,
        "corpus": [[float(v) for v in row] for row in corpus],
        "mean": [float(v) for v in corpus.astype(np.float64).mean(axis=0)],
        "axes": [[float(v) for v in axis] for axis in axes],
        "low": [float(v) for v in low],
        "high": [float(v) for v in high],
        "inputs": [[float(v) for v in row] for row in inputs],
        "colours": expected,
    }


def main():
    rng = np.random.default_rng(20240601)
    integers = lambda rows, cols: rng.integers(-8, 9, size=(rows, cols))

    line_direction = np.array([1.0, 3.0, -2.0, 0.5])
    line = np.array([[0.5, 1.0, 0.0, 2.0]]) + np.array([[-2.0], [0.25], [1.25], [3.0], [0.75]]) * line_direction

    zero_variance = integers(6, 5).astype(np.float64)
    zero_variance[:, 1] = 4.0
    zero_variance[:, 3] = -1.5

    cases = [
        case("gram_5x8", integers(5, 8)),
        case("square_6x6", integers(6, 6)),
        case("scatter_12x4", integers(12, 4)),
        case("gaussian_24x64", rng.standard_normal((24, 64))),
        case("three_tokens_3x5", integers(3, 5)),
        case("two_tokens_2x4", [[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 0.5, -1.0]]),
        case("one_token_1x4", [[0.25, -1.0, 2.0, 7.0]]),
        case("identical_4x3", [[1.5, -2.0, 0.25]] * 4),
        case("rank_one_5x4", line),
        case("zero_variance_columns_6x5", zero_variance),
    ]
    folder = pathlib.Path(__file__).parent
    (folder / "pca_reference.json").write_text(
        json.dumps({"numpy_version": np.__version__, "cases": cases}, indent=1) + "\n")
    basis = {"numpy_version": np.__version__, **basis_reference(rng)}
    (folder / "basis_reference.json").write_text(json.dumps(basis, indent=1) + "\n")


if __name__ == "__main__":
    main()

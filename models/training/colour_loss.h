// Colour differences as libtorch operations, so that a training loss can be
// the same CIEDE2000 that synesthesia-eval scores with.
#ifndef SYNESTHESIA_MODELS_TRAINING_COLOUR_LOSS_H_
#define SYNESTHESIA_MODELS_TRAINING_COLOUR_LOSS_H_

#include <torch/torch.h>

namespace synesthesia::training {

// CIELAB (D65, L in [0, 100]) of OKLAB, a [n, 3] tensor of OKLab colours,
// along the path core's colour::OkLabToLab takes (OKLab, LMS, linear sRGB,
// XYZ, CIELAB). Colours outside the sRGB gamut are converted as they are,
// not gamut-mapped. Differentiable everywhere. Keeps OKLAB's dtype.
torch::Tensor OkLabToLab(const torch::Tensor& oklab);

// Measures how far each row of OKLAB, a [n, 3] tensor of OKLab colours,
// lies outside the sRGB gamut. Returns [n]: the sum over its linear sRGB
// channels of how far each is below 0 or above 1, so 0 inside. Keeps
// OKLAB's dtype. The server reduces the chroma of such a colour at constant
// lightness until it fits (colour::GamutMapToSrgb). A light yellow just
// above the gamut then turns nearly white, so training penalises this.
torch::Tensor SrgbGamutExcess(const torch::Tensor& oklab);

// The CIEDE2000 difference (kL = kC = kH = 1, Sharma, Wu and Dalal 2005)
// between the rows of FIRST and SECOND, [n, 3] CIELAB tensors; returns [n].
// The value matches colour::Ciede2000 to within 1e-5 in float64. For
// training, gradients stay finite for neutral colours and identical pairs:
// small constants guard the square roots there (they move a difference of 0
// to about 1e-3), and the mean hue, which only weights the hue term, passes
// no gradient.
torch::Tensor Ciede2000(const torch::Tensor& first, const torch::Tensor& second);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_COLOUR_LOSS_H_

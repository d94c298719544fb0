#include "models/training/colour_loss.h"

#include <array>
#include <cmath>
#include <numbers>

#include "core/colour/colour.h"

namespace synesthesia::training {
namespace {

torch::Tensor Matrix(const std::array<double, 9>& rows, const torch::Tensor& like) {
  return torch::tensor(std::vector<double>(rows.begin(), rows.end()), torch::kFloat64)
      .view({3, 3})
      .to(like.dtype());
}

// CIELAB's f(t): the cube root above (6/29)^3, a straight line below it.
// The line also takes the negative values of colours outside the gamut.
torch::Tensor LabF(const torch::Tensor& t) {
  constexpr double kEpsilon = 216.0 / 24389.0;
  constexpr double kKappa = 24389.0 / 27.0;
  const torch::Tensor above = t > kEpsilon;
  // The cube root is taken of a clamped value so that its gradient stays
  // finite on the branch torch::where discards.
  const torch::Tensor root = t.clamp_min(kEpsilon).pow(1.0 / 3.0);
  return torch::where(above, root, (kKappa * t + 16.0) / 116.0);
}

constexpr double kRadiansPerDegree = std::numbers::pi / 180.0;

// Returns the LMS cone responses of OKLAB, a [n, 3] tensor.
torch::Tensor OkLabToLms(const torch::Tensor& oklab, const colour::OkLabToLabMaps& maps) {
  return oklab.matmul(Matrix(maps.oklab_to_lms_root, oklab).t()).pow(3);
}

}  // namespace

torch::Tensor OkLabToLab(const torch::Tensor& oklab) {
  const colour::OkLabToLabMaps maps = colour::GetOkLabToLabMaps();
  const torch::Tensor lms = OkLabToLms(oklab, maps);
  const torch::Tensor xyz = lms.matmul(Matrix(maps.lms_to_xyz, oklab).t());
  const torch::Tensor white =
      torch::tensor({maps.white_xyz[0], maps.white_xyz[1], maps.white_xyz[2]}, torch::kFloat64)
          .to(oklab.dtype());
  const torch::Tensor f = LabF(xyz / white);
  const torch::Tensor fx = f.select(1, 0);
  const torch::Tensor fy = f.select(1, 1);
  const torch::Tensor fz = f.select(1, 2);
  return torch::stack({116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)}, 1);
}

torch::Tensor SrgbGamutExcess(const torch::Tensor& oklab) {
  const colour::OkLabToLabMaps maps = colour::GetOkLabToLabMaps();
  const torch::Tensor linear = OkLabToLms(oklab, maps).matmul(Matrix(maps.lms_to_linear, oklab).t());
  return (torch::relu(-linear) + torch::relu(linear - 1.0)).sum(1);
}

torch::Tensor Ciede2000(const torch::Tensor& first, const torch::Tensor& second) {
  constexpr double kPow25To7 = 6103515625.0;
  // Guards under square roots, in squared CIELAB units.
  constexpr double kTiny = 1e-12;
  constexpr double kSmall = 1e-6;

  const torch::Tensor l1 = first.select(1, 0);
  const torch::Tensor l2 = second.select(1, 0);
  const torch::Tensor b1 = first.select(1, 2);
  const torch::Tensor b2 = second.select(1, 2);
  const auto chroma = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return (a * a + b * b + kTiny).sqrt();
  };

  // a' stretches the a axis of near-neutral colours.
  const torch::Tensor mean_chroma_7 =
      ((chroma(first.select(1, 1), b1) + chroma(second.select(1, 1), b2)) / 2).pow(7);
  const torch::Tensor g =
      0.5 * (1.0 - (mean_chroma_7 / (mean_chroma_7 + kPow25To7) + kTiny).sqrt());
  const torch::Tensor a1 = (1.0 + g) * first.select(1, 1);
  const torch::Tensor a2 = (1.0 + g) * second.select(1, 1);
  const torch::Tensor c1 = chroma(a1, b1);
  const torch::Tensor c2 = chroma(a2, b2);

  const torch::Tensor delta_l = l2 - l1;
  const torch::Tensor delta_c = c2 - c1;
  // Delta H' = 2 sqrt(C1' C2') sin(delta h' / 2). Its square equals
  // delta a'^2 + delta b^2 - delta C'^2, which has no angle in it and stays
  // accurate in float32 for close colours. Its sign is that of the wrapped
  // hue difference, which is the sign of the cross product.
  const torch::Tensor delta_h_squared =
      ((a2 - a1).pow(2) + (b2 - b1).pow(2) - delta_c.pow(2)).clamp_min(0.0);
  const torch::Tensor cross = a1 * b2 - b1 * a2;
  const torch::Tensor delta_h = torch::where(cross < 0, -1.0, 1.0) * (delta_h_squared + kTiny).sqrt();

  const torch::Tensor mean_l = (l1 + l2) / 2;
  const torch::Tensor mean_c = (c1 + c2) / 2;
  // The mean hue only weights the hue term, so it passes no gradient. As
  // Sharma, Wu and Dalal define it, the hue of a neutral colour is 0, the
  // mean of a neutral and a chromatic colour is the sum of their hues, and
  // otherwise the mean is taken along the shorter arc.
  torch::Tensor mean_hue;
  {
    torch::NoGradGuard no_gradient;
    const auto hue = [](const torch::Tensor& a, const torch::Tensor& b) {
      const torch::Tensor degrees = torch::remainder(torch::atan2(b, a) / kRadiansPerDegree, 360.0);
      return torch::where((a == 0).logical_and(b == 0), 0.0, degrees);
    };
    const torch::Tensor h1 = hue(a1, b1);
    const torch::Tensor h2 = hue(a2, b2);
    const torch::Tensor sum = h1 + h2;
    const torch::Tensor neutral = (a1 == 0).logical_and(b1 == 0).logical_or((a2 == 0).logical_and(b2 == 0));
    const torch::Tensor wrapped = torch::where(sum < 360.0, (sum + 360.0) / 2, (sum - 360.0) / 2);
    const torch::Tensor shorter_arc = torch::where((h1 - h2).abs() <= 180.0, sum / 2, wrapped);
    mean_hue = torch::where(neutral, sum, shorter_arc) * kRadiansPerDegree;
  }
  const double d = kRadiansPerDegree;
  const torch::Tensor t = 1.0 - 0.17 * (mean_hue - 30 * d).cos() + 0.24 * (2 * mean_hue).cos() +
                          0.32 * (3 * mean_hue + 6 * d).cos() - 0.20 * (4 * mean_hue - 63 * d).cos();
  // The rotation term uses the mean hue in degrees.
  const torch::Tensor hue_degrees = mean_hue / d;
  const torch::Tensor delta_theta = 30.0 * (-((hue_degrees - 275.0) / 25.0).pow(2)).exp();
  const torch::Tensor mean_c_7 = mean_c.pow(7);
  const torch::Tensor r_c = 2.0 * (mean_c_7 / (mean_c_7 + kPow25To7) + kTiny).sqrt();
  const torch::Tensor mean_l_offset = (mean_l - 50.0).pow(2);
  const torch::Tensor s_l = 1.0 + 0.015 * mean_l_offset / (20.0 + mean_l_offset).sqrt();
  const torch::Tensor s_c = 1.0 + 0.045 * mean_c;
  const torch::Tensor s_h = 1.0 + 0.015 * mean_c * t;
  const torch::Tensor r_t = -(2.0 * delta_theta * d).sin() * r_c;

  const torch::Tensor term_l = delta_l / s_l;
  const torch::Tensor term_c = delta_c / s_c;
  const torch::Tensor term_h = delta_h / s_h;
  return (term_l.pow(2) + term_c.pow(2) + term_h.pow(2) + r_t * term_c * term_h + kSmall).sqrt();
}

}  // namespace synesthesia::training

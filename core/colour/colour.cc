#include "core/colour/colour.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <optional>

#include <Eigen/Dense>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace synesthesia::colour {
namespace {

using Matrix3 = Eigen::Matrix3d;
using Vector3 = Eigen::Vector3d;

constexpr double kDegreesPerRadian = 180.0 / std::numbers::pi;

// The D65 white point as CIE xy chromaticity, as sRGB (IEC 61966-2-1) and
// CSS Color 4 define it.
constexpr double kWhiteX = 0.3127;
constexpr double kWhiteY = 0.3290;

// XYZ of a chromaticity (x, y) at luminance Y = 1.
Vector3 XyzOfChromaticity(double x, double y) { return {x / y, 1.0, (1.0 - x - y) / y}; }

Vector3 WhiteXyz() { return XyzOfChromaticity(kWhiteX, kWhiteY); }

// The linear sRGB to XYZ matrix, derived from the sRGB primaries (ITU-R
// BT.709 chromaticities) and the D65 white point: each primary's XYZ column
// is scaled so that RGB (1, 1, 1) maps to the white point.
const Matrix3& LinearToXyzMatrix() {
  static const Matrix3 matrix = [] {
    Matrix3 primaries;
    primaries.col(0) = XyzOfChromaticity(0.64, 0.33);
    primaries.col(1) = XyzOfChromaticity(0.30, 0.60);
    primaries.col(2) = XyzOfChromaticity(0.15, 0.06);
    const Vector3 scale = primaries.partialPivLu().solve(WhiteXyz());
    return Matrix3(primaries * scale.asDiagonal());
  }();
  return matrix;
}

const Matrix3& XyzToLinearMatrix() {
  static const Matrix3 matrix = LinearToXyzMatrix().inverse();
  return matrix;
}

// Björn Ottosson's OKLab matrices, as published in "A perceptual color space
// for image processing" (2020): linear sRGB to LMS, XYZ (D65) to LMS (his M1)
// and cube-rooted LMS to OKLab (his M2). The post also prints the inverses,
// but only to about seven digits. Computing them in double precision makes
// round trips exact to rounding error.
const Matrix3& LinearToLmsMatrix() {
  static const Matrix3 matrix = (Matrix3() << 0.4122214708, 0.5363325363, 0.0514459929,  //
                                 0.2119034982, 0.6806995451, 0.1073969566,               //
                                 0.0883024619, 0.2817188376, 0.6299787005)
                                    .finished();
  return matrix;
}

const Matrix3& LmsToLinearMatrix() {
  static const Matrix3 matrix = LinearToLmsMatrix().inverse();
  return matrix;
}

const Matrix3& XyzToLmsMatrix() {
  static const Matrix3 matrix = (Matrix3() << 0.8189330101, 0.3618667424, -0.1288597137,  //
                                 0.0329845436, 0.9293118715, 0.0361456387,                //
                                 0.0482003018, 0.2643662691, 0.6338517070)
                                    .finished();
  return matrix;
}

const Matrix3& LmsToXyzMatrix() {
  static const Matrix3 matrix = XyzToLmsMatrix().inverse();
  return matrix;
}

const Matrix3& LmsToOkLabMatrix() {
  static const Matrix3 matrix = (Matrix3() << 0.2104542553, 0.7936177850, -0.0040720468,  //
                                 1.9779984951, -2.4285922050, 0.4505937099,               //
                                 0.0259040371, 0.7827717662, -0.8086757660)
                                    .finished();
  return matrix;
}

const Matrix3& OkLabToLmsMatrix() {
  static const Matrix3 matrix = LmsToOkLabMatrix().inverse();
  return matrix;
}

OkLab LmsToOkLab(const Vector3& lms) {
  const Vector3 root = lms.unaryExpr([](double v) { return std::cbrt(v); });
  const Vector3 lab = LmsToOkLabMatrix() * root;
  return {lab[0], lab[1], lab[2]};
}

Vector3 OkLabToLms(const OkLab& colour) {
  const Vector3 root = OkLabToLmsMatrix() * Vector3(colour.l, colour.a, colour.b);
  return root.array().cube();
}

// The sRGB transfer function and its inverse. Negative inputs are mirrored
// (f(-x) = -f(x)), as CSS Color 4 does, so out-of-gamut colours survive a
// round trip.
double EncodeChannel(double linear) {
  const double magnitude = std::abs(linear);
  const double encoded = magnitude <= 0.0031308 ? 12.92 * magnitude
                                                : 1.055 * std::pow(magnitude, 1.0 / 2.4) - 0.055;
  return std::copysign(encoded, linear);
}

double DecodeChannel(double encoded) {
  const double magnitude = std::abs(encoded);
  const double linear =
      magnitude <= 0.04045 ? magnitude / 12.92 : std::pow((magnitude + 0.055) / 1.055, 2.4);
  return std::copysign(linear, encoded);
}

// CIELAB constants in their exact rational form (CIE 15:2004 gives them as
// 0.008856 and 903.3).
constexpr double kLabEpsilon = 216.0 / 24389.0;
constexpr double kLabKappa = 24389.0 / 27.0;

double LabF(double t) { return t > kLabEpsilon ? std::cbrt(t) : (kLabKappa * t + 16.0) / 116.0; }

double LabFInverse(double f) {
  const double cube = f * f * f;
  return cube > kLabEpsilon ? cube : (116.0 * f - 16.0) / kLabKappa;
}

double NormalizeDegrees(double degrees) {
  double result = std::fmod(degrees, 360.0);
  if (result < 0) result += 360.0;
  // fmod of a tiny negative value plus 360 can round to exactly 360.
  if (result >= 360.0) result -= 360.0;
  return result;
}

Srgb Clip(const Srgb& colour) {
  return {std::clamp(colour.r, 0.0, 1.0), std::clamp(colour.g, 0.0, 1.0),
          std::clamp(colour.b, 0.0, 1.0)};
}

Srgb OkLabToSrgb(const OkLab& colour) { return ToSrgb(OkLabToLinear(colour)); }

OkLab SrgbToOkLab(const Srgb& colour) { return LinearToOkLab(ToLinear(colour)); }

constexpr double kGamutEpsilon = 1e-6;

bool InGamut(const Srgb& colour) {
  const auto inside = [](double v) { return v >= -kGamutEpsilon && v <= 1.0 + kGamutEpsilon; };
  return inside(colour.r) && inside(colour.g) && inside(colour.b);
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

LinearRgb ToLinear(const Srgb& colour) {
  return {DecodeChannel(colour.r), DecodeChannel(colour.g), DecodeChannel(colour.b)};
}

Srgb ToSrgb(const LinearRgb& colour) {
  return {EncodeChannel(colour.r), EncodeChannel(colour.g), EncodeChannel(colour.b)};
}

LinearRgb OkLabToLinear(const OkLab& colour) {
  const Vector3 rgb = LmsToLinearMatrix() * OkLabToLms(colour);
  return {rgb[0], rgb[1], rgb[2]};
}

OkLab LinearToOkLab(const LinearRgb& colour) {
  return LmsToOkLab(LinearToLmsMatrix() * Vector3(colour.r, colour.g, colour.b));
}

OkLab XyzToOkLab(const Xyz& colour) {
  return LmsToOkLab(XyzToLmsMatrix() * Vector3(colour.x, colour.y, colour.z));
}

Xyz OkLabToXyz(const OkLab& colour) {
  const Vector3 xyz = LmsToXyzMatrix() * OkLabToLms(colour);
  return {xyz[0], xyz[1], xyz[2]};
}

OkLch ToOkLch(const OkLab& colour) {
  const double chroma = std::hypot(colour.a, colour.b);
  // The hue of an achromatic colour is undefined, so it is set to 0.
  const double hue =
      chroma == 0 ? 0.0 : NormalizeDegrees(std::atan2(colour.b, colour.a) * kDegreesPerRadian);
  return {colour.l, chroma, hue};
}

OkLab ToOkLab(const OkLch& colour) {
  const double radians = colour.h / kDegreesPerRadian;
  return {colour.l, colour.c * std::cos(radians), colour.c * std::sin(radians)};
}

Xyz LinearToXyz(const LinearRgb& colour) {
  const Vector3 xyz = LinearToXyzMatrix() * Vector3(colour.r, colour.g, colour.b);
  return {xyz[0], xyz[1], xyz[2]};
}

LinearRgb XyzToLinear(const Xyz& colour) {
  const Vector3 rgb = XyzToLinearMatrix() * Vector3(colour.x, colour.y, colour.z);
  return {rgb[0], rgb[1], rgb[2]};
}

Lab XyzToLab(const Xyz& colour) {
  const Vector3 white = WhiteXyz();
  const double fx = LabF(colour.x / white[0]);
  const double fy = LabF(colour.y / white[1]);
  const double fz = LabF(colour.z / white[2]);
  return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

Xyz LabToXyz(const Lab& colour) {
  const Vector3 white = WhiteXyz();
  const double fy = (colour.l + 16.0) / 116.0;
  const double fx = fy + colour.a / 500.0;
  const double fz = fy - colour.b / 200.0;
  return {LabFInverse(fx) * white[0], LabFInverse(fy) * white[1], LabFInverse(fz) * white[2]};
}

Srgb FromRgb8(const Rgb8& colour) {
  return {colour.r / 255.0, colour.g / 255.0, colour.b / 255.0};
}

Rgb8 ToRgb8(const Srgb& colour) {
  const auto quantize = [](double v) -> uint8_t {
    if (std::isnan(v)) return 0;
    return static_cast<uint8_t>(std::lround(std::clamp(v * 255.0, 0.0, 255.0)));
  };
  return {quantize(colour.r), quantize(colour.g), quantize(colour.b)};
}

OkLab Rgb8ToOkLab(const Rgb8& colour) { return SrgbToOkLab(FromRgb8(colour)); }

Lab Rgb8ToLab(const Rgb8& colour) { return XyzToLab(LinearToXyz(ToLinear(FromRgb8(colour)))); }

Lab OkLabToLab(const OkLab& colour) { return XyzToLab(LinearToXyz(OkLabToLinear(colour))); }

OkLabToLabMaps GetOkLabToLabMaps() {
  const auto rows = [](const Matrix3& matrix) {
    std::array<double, 9> values;
    for (int row = 0; row < 3; ++row) {
      for (int column = 0; column < 3; ++column) values[3 * row + column] = matrix(row, column);
    }
    return values;
  };
  const Vector3 white = WhiteXyz();
  return {rows(OkLabToLmsMatrix()), rows(LinearToXyzMatrix() * LmsToLinearMatrix()),
          rows(LmsToLinearMatrix()), {white[0], white[1], white[2]}};
}

double Ciede2000(const Lab& first, const Lab& second) {
  constexpr double kPow25To7 = 6103515625.0;  // 25^7

  // Step 1: a' stretches the a axis of near-neutral colours, and C' and h'
  // are computed from it.
  const double mean_chroma = (std::hypot(first.a, first.b) + std::hypot(second.a, second.b)) / 2;
  const double mean_chroma_7 = std::pow(mean_chroma, 7);
  const double g = 0.5 * (1.0 - std::sqrt(mean_chroma_7 / (mean_chroma_7 + kPow25To7)));
  const double a1 = (1.0 + g) * first.a;
  const double a2 = (1.0 + g) * second.a;
  const double c1 = std::hypot(a1, first.b);
  const double c2 = std::hypot(a2, second.b);
  const auto hue = [](double b, double a) {
    return (a == 0 && b == 0) ? 0.0 : NormalizeDegrees(std::atan2(b, a) * kDegreesPerRadian);
  };
  const double h1 = hue(first.b, a1);
  const double h2 = hue(second.b, a2);

  // Step 2: differences in lightness, chroma and hue.
  const double delta_l = second.l - first.l;
  const double delta_c = c2 - c1;
  const bool achromatic = c1 * c2 == 0;
  double delta_h_angle = 0;
  if (!achromatic) {
    delta_h_angle = h2 - h1;
    if (delta_h_angle > 180) delta_h_angle -= 360;
    if (delta_h_angle < -180) delta_h_angle += 360;
  }
  const double delta_h = 2.0 * std::sqrt(c1 * c2) * std::sin(delta_h_angle / 2 / kDegreesPerRadian);

  // Step 3: weighting functions at the mean lightness, chroma and hue.
  const double mean_l = (first.l + second.l) / 2;
  const double mean_c = (c1 + c2) / 2;
  double mean_h = h1 + h2;
  if (!achromatic) {
    if (std::abs(h1 - h2) <= 180) {
      mean_h /= 2;
    } else if (h1 + h2 < 360) {
      mean_h = (h1 + h2 + 360) / 2;
    } else {
      mean_h = (h1 + h2 - 360) / 2;
    }
  }
  const auto cos_degrees = [](double degrees) { return std::cos(degrees / kDegreesPerRadian); };
  const double t = 1.0 - 0.17 * cos_degrees(mean_h - 30) + 0.24 * cos_degrees(2 * mean_h) +
                   0.32 * cos_degrees(3 * mean_h + 6) - 0.20 * cos_degrees(4 * mean_h - 63);
  const double delta_theta = 30.0 * std::exp(-std::pow((mean_h - 275) / 25, 2));
  const double mean_c_7 = std::pow(mean_c, 7);
  const double r_c = 2.0 * std::sqrt(mean_c_7 / (mean_c_7 + kPow25To7));
  const double l_offset_2 = (mean_l - 50) * (mean_l - 50);
  const double s_l = 1.0 + 0.015 * l_offset_2 / std::sqrt(20 + l_offset_2);
  const double s_c = 1.0 + 0.045 * mean_c;
  const double s_h = 1.0 + 0.015 * mean_c * t;
  const double r_t = -std::sin(2 * delta_theta / kDegreesPerRadian) * r_c;

  const double term_l = delta_l / s_l;
  const double term_c = delta_c / s_c;
  const double term_h = delta_h / s_h;
  return std::sqrt(term_l * term_l + term_c * term_c + term_h * term_h + r_t * term_c * term_h);
}

double DeltaEOk(const OkLab& first, const OkLab& second) {
  return std::hypot(first.l - second.l, first.a - second.a, first.b - second.b);
}

bool InSrgbGamut(const OkLab& colour) { return InGamut(OkLabToSrgb(colour)); }

Srgb GamutMapToSrgb(const OkLab& colour) {
  // Constants of the CSS Color 4 algorithm: the just-noticeable difference in
  // deltaEOK and the chroma resolution of the binary search.
  constexpr double kJnd = 0.02;
  constexpr double kChromaEpsilon = 0.0001;

  if (colour.l >= 1.0) return {1.0, 1.0, 1.0};
  if (colour.l <= 0.0) return {0.0, 0.0, 0.0};
  const Srgb origin = OkLabToSrgb(colour);
  if (InGamut(origin)) return Clip(origin);

  // Clipping alone is enough when it changes the colour by less than a JND.
  Srgb clipped = Clip(origin);
  if (DeltaEOk(SrgbToOkLab(clipped), colour) < kJnd) return clipped;

  // Binary search on chroma at constant lightness and hue for the most
  // chromatic colour whose clipped version is within a JND of it.
  OkLch current = ToOkLch(colour);
  double low = 0.0;
  double high = current.c;
  bool low_in_gamut = true;
  while (high - low > kChromaEpsilon) {
    current.c = (low + high) / 2;
    const OkLab candidate = ToOkLab(current);
    const Srgb candidate_srgb = OkLabToSrgb(candidate);
    if (low_in_gamut && InGamut(candidate_srgb)) {
      low = current.c;
      continue;
    }
    clipped = Clip(candidate_srgb);
    const double error = DeltaEOk(SrgbToOkLab(clipped), candidate);
    if (error < kJnd) {
      if (kJnd - error < kChromaEpsilon) return clipped;
      low_in_gamut = false;
      low = current.c;
    } else {
      high = current.c;
    }
  }
  return clipped;
}

Rgb8 OkLabToRgb8(const OkLab& colour) { return ToRgb8(GamutMapToSrgb(colour)); }

double RelativeLuminance(const Rgb8& colour) {
  // WCAG 2 writes the linearisation threshold as 0.03928 where sRGB has
  // 0.04045; no 8-bit value lies between the two, so the results agree.
  const LinearRgb linear = ToLinear(FromRgb8(colour));
  return 0.2126 * linear.r + 0.7152 * linear.g + 0.0722 * linear.b;
}

double ContrastRatio(const Rgb8& first, const Rgb8& second) {
  const double l1 = RelativeLuminance(first);
  const double l2 = RelativeLuminance(second);
  return (std::max(l1, l2) + 0.05) / (std::min(l1, l2) + 0.05);
}

Rgb8 EnsureContrast(const Rgb8& colour, const Rgb8& background, double min_ratio) {
  if (ContrastRatio(colour, background) >= min_ratio) return colour;

  const OkLch origin = ToOkLch(Rgb8ToOkLab(colour));
  const auto at_lightness = [&](double lightness) {
    return OkLabToRgb8(ToOkLab(OkLch{lightness, origin.c, origin.h}));
  };
  const auto meets = [&](double lightness) {
    return ContrastRatio(at_lightness(lightness), background) >= min_ratio;
  };

  // Searches between ORIGIN.l (fails) and TARGET (meets) for the lightness
  // closest to the origin that meets the ratio. The search keeps `meeting`
  // on the passing side, so its colour meets the ratio even where 8-bit
  // rounding makes the predicate non-monotonic. Twenty halvings reach 1e-6
  // in lightness, far below one 8-bit step (about 0.004).
  const auto search_towards = [&](double target) {
    double failing = origin.l;
    double meeting = target;
    for (int i = 0; i < 20; ++i) {
      const double middle = (failing + meeting) / 2;
      (meets(middle) ? meeting : failing) = middle;
    }
    return meeting;
  };

  std::optional<double> best;
  for (const double target : {1.0, 0.0}) {
    if (!meets(target)) continue;
    const double lightness = search_towards(target);
    if (!best || std::abs(lightness - origin.l) < std::abs(*best - origin.l)) best = lightness;
  }
  if (best) return at_lightness(*best);

  const Rgb8 black{0, 0, 0};
  const Rgb8 white{255, 255, 255};
  return ContrastRatio(black, background) >= ContrastRatio(white, background) ? black : white;
}

std::string ToHex(const Rgb8& colour) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex = "#";
  for (const uint8_t channel : {colour.r, colour.g, colour.b}) {
    hex.push_back(kDigits[channel >> 4]);
    hex.push_back(kDigits[channel & 0xf]);
  }
  return hex;
}

absl::StatusOr<Rgb8> ParseHex(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '#') digits.remove_prefix(1);

  std::array<int, 6> values{};
  bool valid = digits.size() == values.size();
  for (size_t i = 0; valid && i < values.size(); ++i) {
    values[i] = HexDigitValue(digits[i]);
    valid = values[i] >= 0;
  }
  if (!valid) {
    // Long input is cut so that the message stays short.
    constexpr size_t kShownLength = 32;
    std::string shown(text.substr(0, kShownLength));
    if (text.size() > kShownLength) shown += "...";
    return absl::InvalidArgumentError(
        absl::StrCat("invalid hex colour \"", shown, "\": expected \"#rrggbb\" or \"rrggbb\""));
  }
  return Rgb8{static_cast<uint8_t>(values[0] * 16 + values[1]),
              static_cast<uint8_t>(values[2] * 16 + values[3]),
              static_cast<uint8_t>(values[4] * 16 + values[5])};
}

}  // namespace synesthesia::colour

// Colour science for Synesthesia: sRGB, linear sRGB, OKLab/OKLCh, CIE XYZ and
// CIELAB (D65), CIEDE2000, CSS Color 4 gamut mapping, WCAG 2 contrast and hex.
//
// Conventions: sRGB and linear sRGB channels are doubles in [0, 1] (values
// outside mean out of gamut); Rgb8 channels are 0..255. OKLab follows Björn
// Ottosson's definition (L in [0, 1]); CIELAB uses the D65 white point with
// L in [0, 100]. Every function is pure and thread-safe.
#ifndef SYNESTHESIA_CORE_COLOUR_COLOUR_H_
#define SYNESTHESIA_CORE_COLOUR_COLOUR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace synesthesia::colour {

// An 8-bit-per-channel sRGB colour, as sent to clients.
struct Rgb8 {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
  friend bool operator==(const Rgb8&, const Rgb8&) = default;
};

// Gamma-encoded sRGB, each channel nominally in [0, 1].
struct Srgb {
  double r = 0;
  double g = 0;
  double b = 0;
};

// Linear-light sRGB, each channel nominally in [0, 1].
struct LinearRgb {
  double r = 0;
  double g = 0;
  double b = 0;
};

struct OkLab {
  double l = 0;
  double a = 0;
  double b = 0;
};

// OKLab in polar form: chroma c >= 0, hue h in degrees [0, 360).
struct OkLch {
  double l = 0;
  double c = 0;
  double h = 0;
};

struct Xyz {
  double x = 0;
  double y = 0;
  double z = 0;
};

// CIELAB under D65, L in [0, 100].
struct Lab {
  double l = 0;
  double a = 0;
  double b = 0;
};

// sRGB transfer functions (IEC 61966-2-1), applied per channel.
LinearRgb ToLinear(const Srgb& colour);
Srgb ToSrgb(const LinearRgb& colour);

LinearRgb OkLabToLinear(const OkLab& colour);
OkLab LinearToOkLab(const LinearRgb& colour);
OkLch ToOkLch(const OkLab& colour);
OkLab ToOkLab(const OkLch& colour);

// OKLab from and to CIE XYZ (D65, Y = 1 for white) through Ottosson's M1
// matrix. The sRGB functions above use his linear sRGB matrix instead; for
// sRGB colours the two paths agree to within 2e-4.
OkLab XyzToOkLab(const Xyz& colour);
Xyz OkLabToXyz(const OkLab& colour);

Xyz LinearToXyz(const LinearRgb& colour);
LinearRgb XyzToLinear(const Xyz& colour);
Lab XyzToLab(const Xyz& colour);
Xyz LabToXyz(const Lab& colour);

// 8-bit conversions: to 8 bits rounds to nearest and clamps to [0, 255].
Srgb FromRgb8(const Rgb8& colour);
Rgb8 ToRgb8(const Srgb& colour);

// Shorthands through the chains above.
OkLab Rgb8ToOkLab(const Rgb8& colour);
Lab Rgb8ToLab(const Rgb8& colour);
Lab OkLabToLab(const OkLab& colour);

// The linear maps inside OkLabToLab, row-major, for code that converts many
// colours at once with its own arithmetic (the trainer's CIEDE2000 loss in
// libtorch): cube-rooted LMS = oklab_to_lms_root * OKLab, then
// XYZ = lms_to_xyz * LMS (through linear sRGB, as OkLabToLab goes), then
// CIELAB relative to white_xyz. Linear sRGB = lms_to_linear * LMS.
struct OkLabToLabMaps {
  std::array<double, 9> oklab_to_lms_root;
  std::array<double, 9> lms_to_xyz;
  std::array<double, 9> lms_to_linear;
  std::array<double, 3> white_xyz;
};
OkLabToLabMaps GetOkLabToLabMaps();

// The CIEDE2000 colour difference (kL = kC = kH = 1), as specified by
// Sharma, Wu and Dalal (2005).
double Ciede2000(const Lab& first, const Lab& second);

// The Euclidean distance in OKLab (deltaEOK of CSS Color 4).
double DeltaEOk(const OkLab& first, const OkLab& second);

// True when every sRGB channel of COLOUR lies in [0, 1] within 1e-6.
bool InSrgbGamut(const OkLab& colour);

// Maps COLOUR into the sRGB gamut as CSS Color 4 does. Lightness and hue stay
// and chroma is reduced by binary search until clipping the colour changes it
// by less than deltaEOK 0.02 (one just-noticeable difference). Lightness of 1
// or more gives white, 0 or less gives black.
Srgb GamutMapToSrgb(const OkLab& colour);

// Convenience: gamut-map then quantize to 8 bits.
Rgb8 OkLabToRgb8(const OkLab& colour);

// WCAG 2 relative luminance of an 8-bit sRGB colour, in [0, 1].
double RelativeLuminance(const Rgb8& colour);

// WCAG 2 contrast ratio (L1 + 0.05) / (L2 + 0.05) with L1 the lighter, in [1, 21].
double ContrastRatio(const Rgb8& first, const Rgb8& second);

// Returns COLOUR with its OKLab lightness moved, hue kept and chroma reduced
// only where the gamut requires it, until ContrastRatio(result, BACKGROUND) >=
// MIN_RATIO; the smallest lightness change that meets the ratio wins. If no
// lightness reaches MIN_RATIO the result is black or white, whichever
// contrasts more. Precondition: 1 <= min_ratio <= 21.
Rgb8 EnsureContrast(const Rgb8& colour, const Rgb8& background, double min_ratio);

// Formats COLOUR as lower-case, zero-padded CSS hex: "#0a0b0c".
std::string ToHex(const Rgb8& colour);

// Parses "#rrggbb" or "rrggbb" (either case). Fails with INVALID_ARGUMENT
// naming TEXT for anything else.
absl::StatusOr<Rgb8> ParseHex(std::string_view text);

}  // namespace synesthesia::colour

#endif  // SYNESTHESIA_CORE_COLOUR_COLOUR_H_

#include "core/text/char_class.h"

#include "core/text/bert_unicode.h"

namespace synesthesia::text {

bool EndsPreToken(char32_t c) {
  const internal::CharSummary summary = internal::SummarizeCodePoint(c, /*lowercase=*/true);
  switch (summary.kind) {
    case internal::CharKind::kWhitespace:
    case internal::CharKind::kPunctuation:
    case internal::CharKind::kCjk:
      return true;
    case internal::CharKind::kComplex:
      break;
    default:
      return false;
  }

  // A code point that normalizes to several characters ends a word when its
  // last kept character does.
  const internal::NormalizedCodePoint normalized = internal::NormalizeCodePoint(c, true);
  if (normalized.cjk) return true;
  for (int i = normalized.length - 1; i >= 0; --i) {
    const internal::NormalizedChar& ch = normalized.chars[i];
    if (ch.removed) continue;
    return ch.value == U' ' || internal::IsPunctuation(ch.value);
  }
  return false;
}

}  // namespace synesthesia::text

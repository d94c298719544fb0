#include "core/text/bert_unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <iterator>
#include <vector>

namespace synesthesia::text::internal {
namespace {

enum class OverrideKind : uint8_t {
  kOrdinary,
  kNonspacingMark,
  kControl,
  kPunctuation,
};

struct Override {
  char32_t first;
  char32_t last;
  OverrideKind kind;
  // Lowercase mapping that Hugging Face applies and utf8proc lacks; 0: none.
  char32_t lowercase;
};

constexpr Override kOverrides[] = {
#include "core/text/bert_unicode_overrides.inc"
};

const Override* FindOverride(char32_t c) {
  if (c < kOverrides[0].first) return nullptr;
  const Override* next = std::upper_bound(
      std::begin(kOverrides), std::end(kOverrides), c,
      [](char32_t value, const Override& entry) { return value < entry.first; });
  const Override* candidate = next - 1;
  return c <= candidate->last ? candidate : nullptr;
}

utf8proc_category_t Category(char32_t c) {
  return static_cast<utf8proc_category_t>(utf8proc_category(static_cast<utf8proc_int32_t>(c)));
}

// Control characters as the clean-text step drops them: categories Cc, Cf,
// Co and Cs, except tab, line feed and carriage return, which are whitespace.
// Unassigned code points (Cn) are kept, as in Hugging Face.
bool IsControl(char32_t c, const Override* entry) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  if (entry != nullptr) return entry->kind == OverrideKind::kControl;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

bool IsNonspacingMark(char32_t c) {
  const Override* entry = FindOverride(c);
  if (entry != nullptr) return entry->kind == OverrideKind::kNonspacingMark;
  return Category(c) == UTF8PROC_CATEGORY_MN;
}

// The ranges that Hugging Face (like Google's original BERT) counts as CJK
// ideographs. Later CJK extensions (for example U+2B820..U+2B91F and
// U+30000 on) are not among them, so they stay ordinary characters.
bool IsCjkIdeograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

uint8_t CombiningClass(char32_t c) {
  if (c < 0x300 || FindOverride(c) != nullptr) return 0;
  return static_cast<uint8_t>(
      utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class);
}

char32_t ToLower(char32_t c) {
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
}

}  // namespace

NormalizedCodePoint NormalizeCodePoint(char32_t c, bool lowercase) {
  NormalizedCodePoint result;
  const Override* entry = FindOverride(c);
  if (c == 0 || c == 0xFFFD || IsControl(c, entry)) return result;
  if (IsWhitespace(c)) {
    result.length = 1;
    result.chars[0].value = U' ';
    return result;
  }
  result.cjk = IsCjkIdeograph(c);
  if (!lowercase) {
    result.length = 1;
    result.chars[0].value = c;
    return result;
  }

  // Hugging Face's tables do not know the characters in the override table,
  // so it neither decomposes them nor gives them a combining class.
  if (entry != nullptr) {
    result.length = 1;
    result.chars[0].value = entry->lowercase != 0 ? entry->lowercase : c;
    result.chars[0].removed = entry->kind == OverrideKind::kNonspacingMark;
    return result;
  }

  utf8proc_int32_t decomposed[kMaxNormalizedLength];
  int boundclass = UTF8PROC_BOUNDCLASS_START;
  utf8proc_ssize_t length =
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), decomposed, kMaxNormalizedLength,
                              UTF8PROC_DECOMPOSE, &boundclass);
  if (length <= 0 || length > kMaxNormalizedLength) {
    // Unreachable with Unicode 15.0 data; keep the code point rather than
    // lose it.
    decomposed[0] = static_cast<utf8proc_int32_t>(c);
    length = 1;
  }
  for (utf8proc_ssize_t i = 0; i < length; ++i) {
    const auto part = static_cast<char32_t>(decomposed[i]);
    NormalizedChar& out = result.chars[result.length++];
    out.removed = IsNonspacingMark(part);
    out.combining_class = CombiningClass(part);
    out.value = out.removed ? part : ToLower(part);
  }
  return result;
}

bool IsWhitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');
  if (c == 0x85) return true;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return true;
    default:
      return false;
  }
}

bool IsPunctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
  }
  const Override* entry = FindOverride(c);
  if (entry != nullptr) return entry->kind == OverrideKind::kPunctuation;
  const utf8proc_category_t category = Category(c);
  return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
}

namespace {

CharSummary Summarize(const NormalizedCodePoint& normalized) {
  CharSummary summary;
  if (normalized.length == 0) {
    summary.kind = CharKind::kDropped;
    return summary;
  }
  // The one kept character, which may be followed by removed marks of
  // nonzero class; those cannot end a combining run.
  const NormalizedChar& first = normalized.chars[0];
  for (int i = 1; i < normalized.length; ++i) {
    const NormalizedChar& part = normalized.chars[i];
    if (first.removed || !part.removed || part.combining_class == 0) return summary;
  }
  if (first.removed) {
    summary.kind = first.combining_class == 0 ? CharKind::kRemovedStarter : CharKind::kRemovedMark;
    return summary;
  }
  summary.value = first.value;
  summary.combining_class = first.combining_class;
  if (IsWhitespace(first.value)) {
    summary.kind = CharKind::kWhitespace;
  } else if (IsPunctuation(first.value)) {
    summary.kind = CharKind::kPunctuation;
  } else if (normalized.cjk) {
    summary.kind = CharKind::kCjk;
  } else {
    summary.kind = CharKind::kWord;
  }
  return summary;
}

// Table entries pack a summary: bits 0-20 value, 21-23 kind, 24-31 class.
std::vector<uint32_t> BuildBmpTable(bool lowercase) {
  std::vector<uint32_t> table(0x10000);
  for (char32_t c = 0; c < 0x10000; ++c) {
    const CharSummary summary = Summarize(NormalizeCodePoint(c, lowercase));
    table[c] = static_cast<uint32_t>(summary.value) |
               (static_cast<uint32_t>(summary.kind) << 21) |
               (static_cast<uint32_t>(summary.combining_class) << 24);
  }
  return table;
}

}  // namespace

CharSummary SummarizeCodePoint(char32_t c, bool lowercase) {
  if (c >= 0x10000) return Summarize(NormalizeCodePoint(c, lowercase));
  uint32_t entry;
  if (lowercase) {
    static const std::vector<uint32_t>* const table = new std::vector<uint32_t>(BuildBmpTable(true));
    entry = (*table)[c];
  } else {
    static const std::vector<uint32_t>* const table = new std::vector<uint32_t>(BuildBmpTable(false));
    entry = (*table)[c];
  }
  CharSummary summary;
  summary.value = entry & 0x1FFFFF;
  summary.kind = static_cast<CharKind>((entry >> 21) & 0x7);
  summary.combining_class = static_cast<uint8_t>(entry >> 24);
  return summary;
}

const char* OverridesUnicodeVersion() { return SYNESTHESIA_BERT_OVERRIDES_UNICODE_VERSION; }

}  // namespace synesthesia::text::internal

#include "core/text/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/text/bert_unicode.h"
#include "core/text/piece_trie.h"
#include "core/text/utf8.h"
#include "core/util/status_macros.h"

namespace synesthesia::text {
namespace {

constexpr std::string_view kContinuationPrefix = "##";
constexpr std::string_view kSpecialTokenNames[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

// The class of each ASCII byte under the rules of bert_unicode.h, precomputed
// so that ASCII text never reaches utf8proc.
enum class AsciiClass : uint8_t { kDrop, kSpace, kPunctuation, kWord };

constexpr std::array<AsciiClass, 128> MakeAsciiClasses() {
  std::array<AsciiClass, 128> classes{};
  for (int c = 0; c < 128; ++c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      classes[c] = AsciiClass::kSpace;
    } else if (c < 0x20 || c == 0x7F) {
      // NUL and the other C0 controls, 0x0B and 0x0C included: BertNormalizer
      // removes them before it maps whitespace.
      classes[c] = AsciiClass::kDrop;
    } else if ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
               (c >= '{' && c <= '~')) {
      classes[c] = AsciiClass::kPunctuation;
    } else {
      classes[c] = AsciiClass::kWord;
    }
  }
  return classes;
}
constexpr std::array<AsciiClass, 128> kAsciiClasses = MakeAsciiClasses();

// Decodes the code point at the start of BYTES, which contain valid UTF-8, and
// sets *LENGTH to its size in bytes.
char32_t DecodeValid(const unsigned char* bytes, int* length) {
  const unsigned char lead = bytes[0];
  if (lead < 0xE0) {
    *length = 2;
    return ((lead & 0x1Fu) << 6) | (bytes[1] & 0x3Fu);
  }
  if (lead < 0xF0) {
    *length = 3;
    return ((lead & 0x0Fu) << 12) | ((bytes[1] & 0x3Fu) << 6) | (bytes[2] & 0x3Fu);
  }
  *length = 4;
  return ((lead & 0x07u) << 18) | ((bytes[1] & 0x3Fu) << 12) | ((bytes[2] & 0x3Fu) << 6) |
         (bytes[3] & 0x3Fu);
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace

// The state of one Tokenize call: the word being collected and the tokens so
// far. A word is a run of normalized characters between whitespace,
// punctuation and CJK ideographs; WordPiece splits each word when it ends.
//
// Most words are ASCII letters and digits copied from consecutive bytes of
// the text. While that holds, the word keeps no per-character records: the
// origin of its k-th byte is the k-th byte after the word's start. The first
// character that breaks the pattern turns the word into the general form.
// A word longer than max_input_chars_per_word can only become [UNK], so from
// then on only its last character is tracked, and memory stays bounded
// however long the word is.
class TokenizeRun {
 public:
  TokenizeRun(const Tokenizer& tokenizer, std::vector<Token>* tokens)
      : tokenizer_(tokenizer), tokens_(tokens) {}

  // Adds the ASCII character C, which comes from the original code point
  // number CODE_POINT at BYTE_OFFSET.
  void AppendAscii(char c, int64_t code_point, int64_t byte_offset) {
    const auto index = static_cast<int64_t>(char_count_);
    if (!Track(code_point, byte_offset, 1)) return;
    if (contiguous_ascii_ && code_point != first_code_point_ + index) MakeGeneral();
    if (!contiguous_ascii_) {
      chars_.push_back({static_cast<char32_t>(c), 0, 1, word_.size(), code_point, byte_offset});
      run_start_ = chars_.size();
    }
    word_.push_back(c);
  }

  // Adds the normalized character C, which comes from the original code
  // point number CODE_POINT at BYTE_OFFSET, BYTE_LENGTH bytes long.
  void Append(char32_t c, uint8_t combining_class, int64_t code_point, int64_t byte_offset,
              int byte_length) {
    if (!Track(code_point, byte_offset, byte_length)) return;
    MakeGeneral();
    chars_.push_back({c, combining_class, static_cast<uint8_t>(byte_length), word_.size(),
                      code_point, byte_offset});
    AppendUtf8(c, &word_);
    if (combining_class == 0) {
      run_start_ = chars_.size();
    } else {
      ReorderLast();
    }
  }

  // Ends the run of combining characters that canonical ordering sorts.
  void BreakCombiningRun() { run_start_ = chars_.size(); }

  // Ends the current word: splits it into WordPiece tokens.
  void EndWord();

  // When TEXT starts with a special token that the options match, ends the
  // word, adds that token for the text at CODE_POINT and BYTE_OFFSET and
  // returns its length in bytes. Otherwise returns 0. The names are ASCII, so
  // their length in bytes is also their length in code points.
  size_t MatchSpecialToken(std::string_view text, int64_t code_point, int64_t byte_offset) {
    for (const auto& [name, id] : tokenizer_.text_special_tokens_) {
      if (!text.starts_with(name)) continue;
      EndWord();
      const auto length = static_cast<int64_t>(name.size());
      AddToken(id, code_point, code_point + length, byte_offset, byte_offset + length);
      return name.size();
    }
    return 0;
  }

 private:
  struct WordChar {
    char32_t value;
    uint8_t combining_class;
    // The length of the original code point in bytes.
    uint8_t byte_length;
    // Byte offset of the character in word_.
    size_t word_offset;
    // The original code point: index and byte offset.
    int64_t code_point;
    int64_t byte_offset;
  };

  // Counts one more character of the word, from the original code point
  // CODE_POINT at BYTE_OFFSET, BYTE_LENGTH bytes long. Returns false when the
  // word has grown past max_input_chars_per_word, so the character need not
  // be stored.
  bool Track(int64_t code_point, int64_t byte_offset, int byte_length) {
    if (char_count_ == 0) {
      first_code_point_ = code_point;
      first_byte_offset_ = byte_offset;
      contiguous_ascii_ = true;
    }
    last_code_point_ = code_point;
    last_byte_end_ = byte_offset + byte_length;
    ++char_count_;
    if (char_count_ <= static_cast<size_t>(tokenizer_.options_.max_input_chars_per_word)) {
      return true;
    }
    if (!too_long_) {
      too_long_ = true;
      word_.clear();
      chars_.clear();
    }
    return false;
  }

  // Gives every character of the word its own record in chars_.
  void MakeGeneral() {
    if (!contiguous_ascii_) return;
    for (size_t k = 0; k < word_.size(); ++k) {
      const auto offset = static_cast<int64_t>(k);
      chars_.push_back({static_cast<char32_t>(word_[k]), 0, 1, k, first_code_point_ + offset,
                        first_byte_offset_ + offset});
    }
    contiguous_ascii_ = false;
    run_start_ = chars_.size();
  }

  // Moves the last character, a combining one, before the characters of a
  // higher class in the current run (the canonical ordering of NFD). Only
  // the values move: each position keeps its original span, as in Hugging
  // Face, which aligns by position.
  void ReorderLast();

  void AddToken(int32_t id, int64_t start, int64_t end, int64_t byte_start, int64_t byte_end) {
    Token& token = tokens_->emplace_back();
    token.id = id;
    token.text = tokenizer_.vocabulary_.Entry(id);
    token.start = start;
    token.end = end;
    token.byte_start = byte_start;
    token.byte_end = byte_end;
  }

  // The index in chars_ of the character that contains byte OFFSET of word_.
  size_t CharAt(size_t offset) const {
    auto after = std::upper_bound(
        chars_.begin(), chars_.end(), offset,
        [](size_t value, const WordChar& c) { return value < c.word_offset; });
    return static_cast<size_t>(after - chars_.begin()) - 1;
  }

  // Adds a token for the bytes [BEGIN, END) of word_, which fall on
  // character boundaries.
  void AddPieceToken(int32_t id, size_t begin, size_t end) {
    if (contiguous_ascii_) {
      const auto first = static_cast<int64_t>(begin);
      const auto last = static_cast<int64_t>(end);
      AddToken(id, first_code_point_ + first, first_code_point_ + last,
               first_byte_offset_ + first, first_byte_offset_ + last);
      return;
    }
    const WordChar& first = chars_[CharAt(begin)];
    const WordChar& last = chars_[CharAt(end - 1)];
    AddToken(id, first.code_point, last.code_point + 1, first.byte_offset,
             last.byte_offset + last.byte_length);
  }

  const Tokenizer& tokenizer_;
  std::vector<Token>* tokens_;
  // The normalized word, UTF-8.
  std::string word_;
  // True while word_ is ASCII copied from consecutive code points starting
  // at first_code_point_ and first_byte_offset_; chars_ is then empty.
  bool contiguous_ascii_ = true;
  std::vector<WordChar> chars_;
  size_t run_start_ = 0;
  // The number of normalized characters in the word, stored or not.
  size_t char_count_ = 0;
  // True once char_count_ exceeds max_input_chars_per_word; word_ and chars_
  // are then empty.
  bool too_long_ = false;
  // The original span of the word: its first and its last code point.
  int64_t first_code_point_ = 0;
  int64_t first_byte_offset_ = 0;
  int64_t last_code_point_ = 0;
  int64_t last_byte_end_ = 0;
};

void TokenizeRun::ReorderLast() {
  size_t position = chars_.size() - 1;
  const WordChar moved = chars_[position];
  while (position > run_start_ && chars_[position - 1].combining_class > moved.combining_class) {
    chars_[position].value = chars_[position - 1].value;
    chars_[position].combining_class = chars_[position - 1].combining_class;
    --position;
  }
  if (position == chars_.size() - 1) return;
  chars_[position].value = moved.value;
  chars_[position].combining_class = moved.combining_class;

  // Re-encode the word from the first moved character.
  word_.resize(chars_[position].word_offset);
  for (size_t i = position; i < chars_.size(); ++i) {
    chars_[i].word_offset = word_.size();
    AppendUtf8(chars_[i].value, &word_);
  }
}

void TokenizeRun::EndWord() {
  if (char_count_ == 0) return;

  // Hugging Face counts the normalized characters, not the original ones.
  bool unknown = too_long_;
  const size_t first_token = tokens_->size();
  for (size_t begin = 0; !unknown && begin < word_.size();) {
    const auto [id, piece_length] = tokenizer_.LongestPiece(word_, begin);
    if (id < 0) {
      unknown = true;
      break;
    }
    AddPieceToken(id, begin, begin + piece_length);
    begin += piece_length;
  }
  if (unknown) {
    tokens_->resize(first_token);
    AddToken(tokenizer_.unk_id_, first_code_point_, last_code_point_ + 1, first_byte_offset_,
             last_byte_end_);
  }

  word_.clear();
  chars_.clear();
  contiguous_ascii_ = true;
  run_start_ = 0;
  char_count_ = 0;
  too_long_ = false;
}

namespace {

// Adds the characters of a code point that normalizes to more than one: a
// Hangul syllable, or a letter with an accent and another mark, for example.
void AppendComplex(const internal::NormalizedCodePoint& normalized, int64_t code_point,
                   int64_t byte_offset, int length, TokenizeRun& run) {
  if (normalized.cjk) run.EndWord();
  for (int k = 0; k < normalized.length; ++k) {
    const internal::NormalizedChar& part = normalized.chars[k];
    if (part.removed) {
      if (part.combining_class == 0) run.BreakCombiningRun();
    } else if (internal::IsWhitespace(part.value)) {
      run.EndWord();
    } else if (internal::IsPunctuation(part.value)) {
      run.EndWord();
      run.Append(part.value, 0, code_point, byte_offset, length);
      run.EndWord();
    } else {
      run.Append(part.value, part.combining_class, code_point, byte_offset, length);
    }
  }
  if (normalized.cjk) run.EndWord();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Create(Vocabulary vocabulary,
                                                             TokenizerOptions options) {
  if (options.max_input_chars_per_word < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_input_chars_per_word must be >= 0, got %d",
                        options.max_input_chars_per_word));
  }
  auto tokenizer = std::unique_ptr<Tokenizer>(new Tokenizer(std::move(vocabulary), options));

  const Vocabulary& vocab = tokenizer->vocabulary_;
  struct Required {
    std::string_view entry;
    int32_t* id;
  };
  const Required required[] = {{"[UNK]", &tokenizer->unk_id_},
                               {"[CLS]", &tokenizer->cls_id_},
                               {"[SEP]", &tokenizer->sep_id_},
                               {"[PAD]", &tokenizer->pad_id_}};
  for (const Required& token : required) {
    std::optional<int32_t> id = vocab.Find(token.entry);
    if (!id.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("vocabulary lacks the special token %s", token.entry));
    }
    *token.id = *id;
  }

  // WordPiece looks up the first piece of a word as it is, and each later
  // piece with "##" in front, so continuation entries are keyed without it.
  std::vector<std::pair<std::string_view, int32_t>> word_start;
  std::vector<std::pair<std::string_view, int32_t>> continuation;
  word_start.reserve(static_cast<size_t>(vocab.size()));
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const std::string_view entry = vocab.Entry(id);
    word_start.emplace_back(entry, id);
    if (entry.size() > kContinuationPrefix.size() && entry.starts_with(kContinuationPrefix)) {
      continuation.emplace_back(entry.substr(kContinuationPrefix.size()), id);
    }
  }
  tokenizer->word_start_pieces_.Build(word_start);
  tokenizer->continuation_pieces_.Build(continuation);
  tokenizer->continuation_ids_.reserve(continuation.size());
  for (const auto& [suffix, id] : continuation) {
    tokenizer->continuation_ids_.emplace(absl::string_view(suffix.data(), suffix.size()), id);
  }

  // Builds the normalization table now rather than in the first request.
  internal::SummarizeCodePoint(U'\u00E9', options.lowercase);

  if (options.match_special_tokens) {
    for (std::string_view name : kSpecialTokenNames) {
      if (std::optional<int32_t> id = vocab.Find(name)) {
        tokenizer->text_special_tokens_.emplace_back(std::string(name), *id);
      }
    }
  }
  return tokenizer;
}

std::pair<int32_t, size_t> Tokenizer::LongestPiece(std::string_view word, size_t begin) const {
  // Most words are vocabulary entries as a whole, which one hash lookup
  // finds; the trie then finds the longest prefix in one pass.
  const std::string_view rest = word.substr(begin);
  if (begin == 0) {
    if (std::optional<int32_t> id = vocabulary_.Find(rest)) return {*id, rest.size()};
    return word_start_pieces_.LongestPrefix(rest);
  }
  auto it = continuation_ids_.find(absl::string_view(rest.data(), rest.size()));
  if (it != continuation_ids_.end()) return {it->second, rest.size()};
  return continuation_pieces_.LongestPrefix(rest);
}

Tokenizer::Tokenizer(Vocabulary vocabulary, TokenizerOptions options)
    : vocabulary_(std::move(vocabulary)), options_(options) {}

absl::StatusOr<std::vector<Token>> Tokenizer::Tokenize(std::string_view utf8_text) const {
  RETURN_IF_ERROR(ValidateUtf8(utf8_text));

  std::vector<Token> tokens;
  // English prose averages about one token per five bytes, so this rarely
  // grows.
  tokens.reserve(utf8_text.size() / 4 + 2);
  auto add_special = [&](int32_t id) {
    Token& token = tokens.emplace_back();
    token.id = id;
    token.text = vocabulary_.Entry(id);
    token.special = true;
  };
  if (options_.add_special_tokens) add_special(cls_id_);

  TokenizeRun run(*this, &tokens);
  const auto* bytes = reinterpret_cast<const unsigned char*>(utf8_text.data());
  const size_t size = utf8_text.size();
  const bool lowercase = options_.lowercase;
  int64_t code_point = 0;
  size_t i = 0;
  while (i < size) {
    const unsigned char byte = bytes[i];
    if (byte < 0x80) {
      switch (kAsciiClasses[byte]) {
        case AsciiClass::kWord: {
          const char c = lowercase && byte >= 'A' && byte <= 'Z' ? static_cast<char>(byte + 32)
                                                                 : static_cast<char>(byte);
          run.AppendAscii(c, code_point, static_cast<int64_t>(i));
          break;
        }
        case AsciiClass::kSpace:
          run.EndWord();
          break;
        case AsciiClass::kPunctuation: {
          if (byte == '[') {
            const size_t matched =
                run.MatchSpecialToken(utf8_text.substr(i), code_point, static_cast<int64_t>(i));
            if (matched > 0) {
              i += matched;
              code_point += static_cast<int64_t>(matched);
              continue;
            }
          }
          run.EndWord();
          run.AppendAscii(static_cast<char>(byte), code_point, static_cast<int64_t>(i));
          run.EndWord();
          break;
        }
        case AsciiClass::kDrop:
          break;
      }
      ++i;
      ++code_point;
      continue;
    }

    int length = 0;
    const char32_t c = DecodeValid(bytes + i, &length);
    const auto byte_offset = static_cast<int64_t>(i);
    const internal::CharSummary summary = internal::SummarizeCodePoint(c, lowercase);
    switch (summary.kind) {
      case internal::CharKind::kDropped:
      case internal::CharKind::kRemovedMark:
        break;
      case internal::CharKind::kRemovedStarter:
        run.BreakCombiningRun();
        break;
      case internal::CharKind::kWhitespace:
        run.EndWord();
        break;
      case internal::CharKind::kPunctuation:
      case internal::CharKind::kCjk:
        run.EndWord();
        run.Append(summary.value, 0, code_point, byte_offset, length);
        run.EndWord();
        break;
      case internal::CharKind::kWord:
        run.Append(summary.value, summary.combining_class, code_point, byte_offset, length);
        break;
      case internal::CharKind::kComplex:
        AppendComplex(internal::NormalizeCodePoint(c, lowercase), code_point, byte_offset, length,
                      run);
        break;
    }
    i += static_cast<size_t>(length);
    ++code_point;
  }
  run.EndWord();

  if (options_.add_special_tokens) add_special(sep_id_);
  return tokens;
}

}  // namespace synesthesia::text

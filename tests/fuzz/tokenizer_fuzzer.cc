#include <memory>
#include <string_view>
#include <vector>

#include "core/text/tokenizer.h"
#include "core/text/vocabulary.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/testing/paths.h"

namespace synesthesia::fuzz {
namespace {

// One tokenizer per combination of the three boolean options, built once.
const text::Tokenizer& TokenizerFor(uint8_t selector) {
  static const std::vector<std::unique_ptr<text::Tokenizer>> tokenizers = [] {
    absl::StatusOr<text::Vocabulary> vocabulary =
        text::Vocabulary::Load(testing::TestDataPath("vocab/bert-base-uncased-vocab.txt"));
    FUZZ_CHECK(vocabulary.ok(), "cannot load tests/data/vocab/bert-base-uncased-vocab.txt");
    std::vector<std::unique_ptr<text::Tokenizer>> result;
    for (int bits = 0; bits < 8; ++bits) {
      text::TokenizerOptions options;
      options.lowercase = (bits & 1) != 0;
      options.add_special_tokens = (bits & 2) != 0;
      options.match_special_tokens = (bits & 4) != 0;
      // A short limit reaches the [UNK]-for-long-words path with short inputs.
      if (bits == 0) options.max_input_chars_per_word = 8;
      absl::StatusOr<std::unique_ptr<text::Tokenizer>> tokenizer =
          text::Tokenizer::Create(*vocabulary, options);
      FUZZ_CHECK(tokenizer.ok(), "Tokenizer::Create failed on bert-base-uncased");
      result.push_back(*std::move(tokenizer));
    }
    return result;
  }();
  return *tokenizers[selector % tokenizers.size()];
}

}  // namespace

int FuzzTokenizer(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const text::Tokenizer& tokenizer = TokenizerFor(data[0]);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  absl::StatusOr<std::vector<text::Token>> tokens = tokenizer.Tokenize(input);
  if (!tokens.ok()) {
    FUZZ_CHECK(tokens.status().code() == absl::StatusCode::kInvalidArgument,
               "Tokenize failed with a code other than INVALID_ARGUMENT");
    return 0;
  }

  const auto text_bytes = static_cast<int64_t>(input.size());
  int64_t previous_byte_start = 0;
  int64_t previous_start = 0;
  for (const text::Token& token : *tokens) {
    FUZZ_CHECK(token.id >= 0 && token.id < tokenizer.vocabulary().size(),
               "token id outside the vocabulary");
    FUZZ_CHECK(token.text == tokenizer.vocabulary().Entry(token.id),
               "token text differs from its vocabulary entry");
    if (token.special) {
      FUZZ_CHECK(token.start == 0 && token.end == 0 && token.byte_start == 0 &&
                     token.byte_end == 0,
                 "[CLS] or [SEP] has a non-empty span");
      continue;
    }
    FUZZ_CHECK(0 <= token.byte_start && token.byte_start <= token.byte_end &&
                   token.byte_end <= text_bytes,
               "byte span outside the text");
    FUZZ_CHECK(0 <= token.start && token.start <= token.end && token.end <= text_bytes,
               "code point span outside the text");
    FUZZ_CHECK(token.end - token.start <= token.byte_end - token.byte_start,
               "span has more code points than bytes");
    FUZZ_CHECK(token.byte_start >= previous_byte_start && token.start >= previous_start,
               "token spans go backwards");
    previous_byte_start = token.byte_start;
    previous_start = token.start;
  }
  return 0;
}

}  // namespace synesthesia::fuzz

#include "core/engine/colorizer.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <span>
#include <string>

#include "core/colour/colour.h"
#include "core/engine/default_model.h"
#include "core/model/random_checkpoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/model_fixtures.h"

namespace synesthesia::engine {
namespace {

using ::synesthesia::testing::StatusIs;
using ::testing::HasSubstr;

class ColorizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> directory =
        synesthesia::testing::MakeTinyModelWithProjections("colorizer");
    ASSERT_TRUE(directory.ok()) << directory.status();
    ColorizerOptions options;
    options.model_directory = *directory;
    absl::StatusOr<std::unique_ptr<Colorizer>> colorizer = Colorizer::Create(options);
    ASSERT_TRUE(colorizer.ok()) << colorizer.status();
    colorizer_ = std::move(colorizer).value().release();
  }
  static void TearDownTestSuite() { delete colorizer_; }

  static ColorizeOptions With(projection::Kind kind, Granularity granularity = Granularity::kToken) {
    ColorizeOptions options;
    options.projection = kind;
    options.granularity = granularity;
    return options;
  }

  static Colorizer* colorizer_;
};

Colorizer* ColorizerTest::colorizer_ = nullptr;

TEST_F(ColorizerTest, TokenSpansMatchTokenizerOffsets) {
  const std::string text = "Héllo, wörld! Naïve café.";
  ASSERT_OK_AND_ASSIGN(ColorizeResult result,
                       colorizer_->Colorize(text, With(projection::Kind::kPca)));
  ASSERT_OK_AND_ASSIGN(std::vector<text::Token> tokens,
                       colorizer_->model().tokenizer().Tokenize(text));
  ASSERT_EQ(result.spans.size(), tokens.size() - 2);
  EXPECT_EQ(result.token_count, static_cast<int32_t>(tokens.size() - 2));
  for (size_t i = 0; i < result.spans.size(); ++i) {
    const text::Token& token = tokens[i + 1];
    const Span& span = result.spans[i];
    EXPECT_EQ(span.start, token.start);
    EXPECT_EQ(span.end, token.end);
    EXPECT_EQ(span.byte_start, token.byte_start);
    EXPECT_EQ(span.byte_end, token.byte_end);
    EXPECT_EQ(span.text, text.substr(static_cast<size_t>(token.byte_start),
                                     static_cast<size_t>(token.byte_end - token.byte_start)));
    EXPECT_EQ(span.token_ids, std::vector<int32_t>{token.id});
    EXPECT_FALSE(span.special);
  }
}

TEST_F(ColorizerTest, PcaIsDeterministic) {
  const std::string text = "The ocean at midnight is deep and quiet.";
  ASSERT_OK_AND_ASSIGN(ColorizeResult first, colorizer_->Colorize(text, With(projection::Kind::kPca)));
  ASSERT_OK_AND_ASSIGN(ColorizeResult second, colorizer_->Colorize(text, With(projection::Kind::kPca)));
  ASSERT_EQ(first.spans.size(), second.spans.size());
  for (size_t i = 0; i < first.spans.size(); ++i) {
    EXPECT_EQ(first.spans[i].rgb, second.spans[i].rgb) << "span " << i;
  }
}

TEST_F(ColorizerTest, PcaChannelsSpanFullRange) {
  ASSERT_OK_AND_ASSIGN(ColorizeResult result,
                       colorizer_->Colorize("Red green brown blue orange white black purple",
                                            With(projection::Kind::kPca)));
  // Min-max scaling puts 0 and 255 in every channel of a text with variance.
  int min_r = 255, max_r = 0;
  for (const Span& span : result.spans) {
    min_r = std::min<int>(min_r, span.rgb.r);
    max_r = std::max<int>(max_r, span.rgb.r);
  }
  EXPECT_EQ(min_r, 0);
  EXPECT_EQ(max_r, 255);
}

TEST_F(ColorizerTest, BasisColourDependsOnlyOnHiddenState) {
  const std::string text = "A banana is yellow.";
  ASSERT_OK_AND_ASSIGN(ColorizeResult result,
                       colorizer_->Colorize(text, With(projection::Kind::kBasis)));
  EXPECT_EQ(result.projection, projection::Kind::kBasis);

  ASSERT_OK_AND_ASSIGN(std::vector<text::Token> tokens,
                       colorizer_->model().tokenizer().Tokenize(text));
  std::vector<int32_t> ids;
  for (const text::Token& token : tokens) ids.push_back(token.id);
  ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> states,
                       colorizer_->model().encoder().Encode({std::span<const int32_t>(ids)}));
  const RowMatrixXf real = states[0].middleRows(1, states[0].rows() - 2);
  const std::vector<colour::Rgb8> expected = colorizer_->projections().basis->Apply(real);
  ASSERT_EQ(result.spans.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(result.spans[i].rgb, expected[i]);
}

TEST_F(ColorizerTest, WordGranularityMergesContinuations) {
  const std::string text = "unbelievable colourfulness";
  ASSERT_OK_AND_ASSIGN(ColorizeResult tokens,
                       colorizer_->Colorize(text, With(projection::Kind::kSemantic)));
  ASSERT_OK_AND_ASSIGN(ColorizeResult words,
                       colorizer_->Colorize(text, With(projection::Kind::kSemantic, Granularity::kWord)));
  ASSERT_GT(tokens.spans.size(), 2u) << "the test needs words that split into pieces";
  ASSERT_EQ(words.spans.size(), 2u);
  EXPECT_EQ(words.spans[0].text, "unbelievable");
  EXPECT_EQ(words.spans[1].text, "colourfulness");
  EXPECT_EQ(words.spans[1].start, 13);
  EXPECT_EQ(words.spans[1].end, 26);
  size_t pieces = words.spans[0].token_ids.size() + words.spans[1].token_ids.size();
  EXPECT_EQ(pieces, tokens.spans.size());

  // A word's colour is the mean of its pieces in OKLab.
  colour::OkLab mean;
  const size_t first_pieces = words.spans[0].token_ids.size();
  for (size_t i = 0; i < first_pieces; ++i) {
    const colour::OkLab piece = colour::Rgb8ToOkLab(tokens.spans[i].rgb);
    mean.l += piece.l / static_cast<double>(first_pieces);
    mean.a += piece.a / static_cast<double>(first_pieces);
    mean.b += piece.b / static_cast<double>(first_pieces);
  }
  const colour::Lab expected = colour::OkLabToLab(mean);
  const colour::Lab actual = colour::Rgb8ToLab(words.spans[0].rgb);
  // Pieces were rounded to 8 bits before averaging here, so allow a little.
  EXPECT_LT(colour::Ciede2000(expected, actual), 2.0);
}

TEST_F(ColorizerTest, SpecialTokensComeFirstAndLast) {
  ColorizeOptions options = With(projection::Kind::kBasis);
  options.include_special_tokens = true;
  ASSERT_OK_AND_ASSIGN(ColorizeResult result, colorizer_->Colorize("red", options));
  ASSERT_EQ(result.spans.size(), 3u);
  EXPECT_TRUE(result.spans.front().special);
  EXPECT_EQ(result.spans.front().token_ids, std::vector<int32_t>{101});
  EXPECT_EQ(result.spans.front().text, "");
  EXPECT_TRUE(result.spans.back().special);
  EXPECT_EQ(result.spans.back().token_ids, std::vector<int32_t>{102});
  EXPECT_EQ(result.token_count, 1);
}

TEST_F(ColorizerTest, EmptyAndWhitespaceTextHaveNoSpans) {
  for (const char* text : {"", "   ", "\t\n\r "}) {
    ASSERT_OK_AND_ASSIGN(ColorizeResult result, colorizer_->Colorize(text, With(projection::Kind::kPca)));
    EXPECT_TRUE(result.spans.empty()) << "text '" << text << "'";
    EXPECT_EQ(result.token_count, 0);
  }
}

TEST_F(ColorizerTest, InvalidUtf8NamesTheByteOffset) {
  const std::string text = std::string("caf\xc3", 4) + " ok";
  EXPECT_THAT(colorizer_->Colorize(text, With(projection::Kind::kPca)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 3")));
}

TEST_F(ColorizerTest, TextOverTheByteLimitIsRejected) {
  const std::string text(colorizer_->options().max_text_bytes + 1, 'a');
  EXPECT_THAT(colorizer_->Colorize(text, With(projection::Kind::kPca)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("over the limit")));
}

TEST_F(ColorizerTest, ContrastOptionsAreChecked) {
  ColorizeOptions options = With(projection::Kind::kPca);
  options.min_contrast = 4.5;
  EXPECT_THAT(colorizer_->Colorize("red", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("background")));
  options.background = colour::Rgb8{255, 255, 255};
  options.min_contrast = 22;
  EXPECT_THAT(colorizer_->Colorize("red", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[1, 21]")));
}

TEST_F(ColorizerTest, MinContrastHoldsForEverySpan) {
  for (colour::Rgb8 background : {colour::Rgb8{255, 255, 255}, colour::Rgb8{0, 0, 0},
                                  colour::Rgb8{40, 44, 52}}) {
    ColorizeOptions options = With(projection::Kind::kPca);
    options.background = background;
    options.min_contrast = 4.5;
    ASSERT_OK_AND_ASSIGN(ColorizeResult result,
                         colorizer_->Colorize("Red green brown blue orange white black purple", options));
    for (const Span& span : result.spans) {
      EXPECT_GE(colour::ContrastRatio(span.rgb, background), 4.5)
          << span.text << " " << colour::ToHex(span.rgb) << " on " << colour::ToHex(background);
    }
  }
}

TEST_F(ColorizerTest, MissingProjectionIsRejected) {
  ColorizerOptions options;
  options.model_directory = synesthesia::testing::TestDataPath("distilbert-tiny");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Colorizer> plain, Colorizer::Create(options));
  EXPECT_EQ(plain->AvailableProjections(), std::vector<projection::Kind>{projection::Kind::kPca});
  EXPECT_THAT(plain->Colorize("red", With(projection::Kind::kSemantic)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'semantic' is not available")));
}

TEST_F(ColorizerTest, MissingModelDirectoryNamesIt) {
  ColorizerOptions options;
  options.model_directory = "/nonexistent/synesthesia-model";
  EXPECT_THAT(Colorizer::Create(options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/synesthesia-model")));
}

TEST_F(ColorizerTest, HexIsZeroPadded) {
  ASSERT_OK_AND_ASSIGN(ColorizeResult result,
                       colorizer_->Colorize("Red green brown blue orange white black purple",
                                            With(projection::Kind::kPca)));
  const std::regex hex("#[0-9a-f]{6}");
  for (const Span& span : result.spans) {
    EXPECT_TRUE(std::regex_match(colour::ToHex(span.rgb), hex)) << colour::ToHex(span.rgb);
  }
}

// A model with 16 positions holds 14 tokens per window, so a few sentences
// need several overlapping windows.
TEST(ColorizerWindows, LongTextGivesEveryTokenAColour) {
  ASSERT_OK_AND_ASSIGN(std::string directory,
                       synesthesia::testing::MakeShortWindowModel("colorizer-windows", 16));
  ColorizerOptions options;
  options.model_directory = directory;
  options.window_overlap = 6;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Colorizer> colorizer, Colorizer::Create(options));

  const std::string text =
      "The ocean at midnight is deep and quiet, the sky above it is black, and the lighthouse "
      "throws a yellow beam across the green water towards the red harbour lights.";
  ColorizeOptions colorize;
  colorize.projection = projection::Kind::kBasis;
  ASSERT_OK_AND_ASSIGN(PreparedText prepared, colorizer->Prepare(text, colorize));
  ASSERT_GT(prepared.window_ids.size(), 2u);
  for (const std::vector<int32_t>& window : prepared.window_ids) EXPECT_LE(window.size(), 16u);

  ASSERT_OK_AND_ASSIGN(ColorizeResult result, colorizer->Colorize(text, colorize));
  ASSERT_EQ(result.spans.size(), prepared.tokens.size());
  for (size_t i = 0; i < result.spans.size(); ++i) {
    EXPECT_EQ(result.spans[i].byte_start, prepared.tokens[i].byte_start);
  }

  // Each token's colour is the one its chosen window gives it when that
  // window is encoded on its own.
  for (size_t i = 0; i < prepared.tokens.size(); ++i) {
    const int32_t w = prepared.plan.window_of_token[i];
    const std::vector<int32_t>& ids = prepared.window_ids[static_cast<size_t>(w)];
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> states,
                         colorizer->model().encoder().Encode({std::span<const int32_t>(ids)}));
    const int64_t row = static_cast<int64_t>(i) - prepared.plan.windows[static_cast<size_t>(w)].begin + 1;
    const RowMatrixXf state = states[0].row(row);
    const std::vector<colour::Rgb8> expected = colorizer->projections().basis->Apply(state);
    EXPECT_EQ(result.spans[i].rgb, expected[0]) << "token " << i;
  }
}

// Everyday English with colour words, the reference text set on which int8
// colours are compared with float32 ones.
const std::vector<std::string> kInt8ReferenceTexts = {
    "The ocean at midnight is deep and quiet.",
    "A ripe banana is yellow, and a lime is green.",
    "She painted the kitchen door a warm shade of orange.",
    "Smoke from the chimney rose grey against the pale winter sky.",
    "The committee postponed its decision until the auditors had finished their report.",
    "Red roses, violet irises and white lilies filled the market stall.",
    "His old bicycle leaned against the brick wall of the bakery.",
    "Lightning flashed over the dark hills before the storm arrived.",
    "The children ran across the sunny meadow chasing a blue kite.",
    "Researchers measured the response time of each server under a steady load.",
};

// Returns the colorizer of the model directory DIRECTORY with PRECISION.
std::unique_ptr<Colorizer> ColorizerWithPrecision(const std::string& directory,
                                                  model::Precision precision) {
  ColorizerOptions options;
  options.model_directory = directory;
  options.model.encoder.precision = precision;
  absl::StatusOr<std::unique_ptr<Colorizer>> colorizer = Colorizer::Create(options);
  EXPECT_TRUE(colorizer.ok()) << colorizer.status();
  return colorizer.ok() ? *std::move(colorizer) : nullptr;
}

struct ColourDifference {
  double mean = 0;
  double max = 0;
  int64_t tokens = 0;
};

// CIEDE2000 between the token colours of FLOAT32 and INT8 over the
// reference texts with projection KIND.
ColourDifference Int8ColourDifference(const Colorizer& float32, const Colorizer& int8,
                                      projection::Kind kind) {
  ColorizeOptions options;
  options.projection = kind;
  ColourDifference difference;
  double sum = 0;
  for (const std::string& text : kInt8ReferenceTexts) {
    absl::StatusOr<ColorizeResult> expected = float32.Colorize(text, options);
    absl::StatusOr<ColorizeResult> actual = int8.Colorize(text, options);
    EXPECT_TRUE(expected.ok()) << expected.status();
    EXPECT_TRUE(actual.ok()) << actual.status();
    if (!expected.ok() || !actual.ok()) continue;
    EXPECT_EQ(actual->spans.size(), expected->spans.size()) << text;
    for (size_t i = 0; i < std::min(actual->spans.size(), expected->spans.size()); ++i) {
      const double delta = colour::Ciede2000(colour::Rgb8ToLab(actual->spans[i].rgb),
                                             colour::Rgb8ToLab(expected->spans[i].rgb));
      sum += delta;
      difference.max = std::max(difference.max, delta);
      ++difference.tokens;
    }
  }
  if (difference.tokens > 0) difference.mean = sum / static_cast<double>(difference.tokens);
  return difference;
}

// int8 colours stay within this mean CIEDE2000 of the float32 ones (about
// one just-noticeable difference).
constexpr double kInt8MaxMeanCiede2000 = 1.0;

// NOTE: pca is asserted only on the trained default model. Its axes and
// channel ranges are refitted to every request, so a small change in the
// hidden states can swap two components of similar variance or move a range
// end, and recolour many tokens at once. On these texts int8 moved pca
// colours by a mean CIEDE2000 of about 21 on the tiny model and 10 on the
// random distilbert-base shape, but 0.3 on synesthesia-mini.
TEST(ColorizerInt8Test, TinyModelColoursNearFloat32) {
  ASSERT_OK_AND_ASSIGN(std::string directory,
                       synesthesia::testing::MakeTinyModelWithProjections("int8-colours"));
  std::unique_ptr<Colorizer> float32 = ColorizerWithPrecision(directory, model::Precision::kFloat32);
  std::unique_ptr<Colorizer> int8 = ColorizerWithPrecision(directory, model::Precision::kInt8Dynamic);
  ASSERT_NE(float32, nullptr);
  ASSERT_NE(int8, nullptr);

  for (projection::Kind kind : {projection::Kind::kBasis, projection::Kind::kSemantic}) {
    const std::string name(projection::KindName(kind));
    SCOPED_TRACE(name);
    const ColourDifference difference = Int8ColourDifference(*float32, *int8, kind);
    RecordProperty("mean_ciede2000_" + name, std::to_string(difference.mean));
    RecordProperty("max_ciede2000_" + name, std::to_string(difference.max));

    EXPECT_GT(difference.tokens, 100);
    EXPECT_LE(difference.mean, kInt8MaxMeanCiede2000);
  }
  const ColourDifference pca = Int8ColourDifference(*float32, *int8, projection::Kind::kPca);
  RecordProperty("mean_ciede2000_pca", std::to_string(pca.mean));
}

TEST(ColorizerInt8Test, DefaultModelColoursNearFloat32) {
  // synesthesia-mini, the trained model that ships as the default.
  ASSERT_OK_AND_ASSIGN(std::string directory, FindDefaultModel());
  std::unique_ptr<Colorizer> float32 = ColorizerWithPrecision(directory, model::Precision::kFloat32);
  std::unique_ptr<Colorizer> int8 = ColorizerWithPrecision(directory, model::Precision::kInt8Dynamic);
  ASSERT_NE(float32, nullptr);
  ASSERT_NE(int8, nullptr);

  for (projection::Kind kind :
       {projection::Kind::kPca, projection::Kind::kBasis, projection::Kind::kSemantic}) {
    const std::string name(projection::KindName(kind));
    SCOPED_TRACE(name);
    const ColourDifference difference = Int8ColourDifference(*float32, *int8, kind);
    RecordProperty("mean_ciede2000_" + name, std::to_string(difference.mean));
    RecordProperty("max_ciede2000_" + name, std::to_string(difference.max));

    EXPECT_GT(difference.tokens, 100);
    EXPECT_LE(difference.mean, kInt8MaxMeanCiede2000);
  }
}

TEST(ColorizerInt8Test, BaseShapeColoursNearFloat32) {
  // distilbert-base's shape with random weights: the layer widths where int8
  // matters. A random checkpoint has no fitted projections, so the test fits
  // a basis to the float32 hidden states of the reference texts and applies
  // it to both precisions.
  const std::string directory = synesthesia::testing::ScratchDirectory("int8-base-colours");
  ASSERT_OK(model::WriteRandomCheckpoint(
      directory, model::DistilBertConfig(),
      synesthesia::testing::TestDataPath("vocab/bert-base-uncased-vocab.txt"), 5));
  std::unique_ptr<Colorizer> float32 = ColorizerWithPrecision(directory, model::Precision::kFloat32);
  std::unique_ptr<Colorizer> int8 = ColorizerWithPrecision(directory, model::Precision::kInt8Dynamic);
  ASSERT_NE(float32, nullptr);
  ASSERT_NE(int8, nullptr);

  std::vector<RowMatrixXf> float32_states;
  std::vector<RowMatrixXf> int8_states;
  int64_t rows = 0;
  for (const std::string& text : kInt8ReferenceTexts) {
    ASSERT_OK_AND_ASSIGN(PreparedText prepared, float32->Prepare(text, ColorizeOptions()));
    const std::vector<std::span<const int32_t>> batch(prepared.window_ids.begin(),
                                                      prepared.window_ids.end());
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> expected, float32->model().encoder().Encode(batch));
    ASSERT_OK_AND_ASSIGN(std::vector<RowMatrixXf> actual, int8->model().encoder().Encode(batch));
    for (size_t w = 0; w < expected.size(); ++w) {
      rows += expected[w].rows();
      float32_states.push_back(expected[w]);
      int8_states.push_back(actual[w]);
    }
  }
  RowMatrixXf corpus(rows, float32_states[0].cols());
  int64_t row = 0;
  for (const RowMatrixXf& states : float32_states) {
    corpus.middleRows(row, states.rows()) = states;
    row += states.rows();
  }
  ASSERT_OK_AND_ASSIGN(projection::Basis basis, projection::Basis::Fit(corpus));

  double sum = 0;
  double max = 0;
  int64_t tokens = 0;
  for (size_t i = 0; i < float32_states.size(); ++i) {
    const std::vector<colour::Rgb8> expected = basis.Apply(float32_states[i]);
    const std::vector<colour::Rgb8> actual = basis.Apply(int8_states[i]);
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t t = 0; t < expected.size(); ++t) {
      const double delta =
          colour::Ciede2000(colour::Rgb8ToLab(actual[t]), colour::Rgb8ToLab(expected[t]));
      sum += delta;
      max = std::max(max, delta);
      ++tokens;
    }
  }
  RecordProperty("mean_ciede2000_basis", std::to_string(sum / static_cast<double>(tokens)));
  RecordProperty("max_ciede2000_basis", std::to_string(max));
  const ColourDifference pca = Int8ColourDifference(*float32, *int8, projection::Kind::kPca);
  RecordProperty("mean_ciede2000_pca", std::to_string(pca.mean));

  EXPECT_GT(tokens, 100);
  EXPECT_LE(sum / static_cast<double>(tokens), kInt8MaxMeanCiede2000);
  std::filesystem::remove_all(directory);
}

// A long text is encoded in several passes when its windows exceed
// max_batch_tokens; every token keeps the colour of the one-pass result.
TEST(ColorizerWindows, SmallBatchBudgetKeepsColours) {
  ASSERT_OK_AND_ASSIGN(std::string directory,
                       synesthesia::testing::MakeShortWindowModel("colorizer-budget", 16));
  ColorizerOptions one_pass;
  one_pass.model_directory = directory;
  one_pass.window_overlap = 6;
  one_pass.max_batch_tokens = 1 << 20;
  ColorizerOptions one_window_per_pass = one_pass;
  one_window_per_pass.max_batch_tokens = 16;
  ColorizerOptions two_windows_per_pass = one_pass;
  two_windows_per_pass.max_batch_tokens = 33;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Colorizer> reference, Colorizer::Create(one_pass));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Colorizer> single, Colorizer::Create(one_window_per_pass));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Colorizer> pairs, Colorizer::Create(two_windows_per_pass));

  const std::string text =
      "Golden autumn leaves covered the path through the park, and a red kite hung over the "
      "grey river while the blue evening settled on the white houses by the water.";
  ColorizeOptions colorize;
  colorize.projection = projection::Kind::kPca;
  ASSERT_OK_AND_ASSIGN(PreparedText prepared, reference->Prepare(text, colorize));
  ASSERT_GT(prepared.window_ids.size(), 3u);

  ASSERT_OK_AND_ASSIGN(ColorizeResult expected, reference->Colorize(text, colorize));
  for (Colorizer* colorizer : {single.get(), pairs.get()}) {
    ASSERT_OK_AND_ASSIGN(ColorizeResult result, colorizer->Colorize(text, colorize));
    ASSERT_EQ(result.spans.size(), expected.spans.size());
    for (size_t i = 0; i < result.spans.size(); ++i) {
      EXPECT_EQ(result.spans[i].text, expected.spans[i].text) << "span " << i;
      EXPECT_EQ(result.spans[i].rgb, expected.spans[i].rgb) << "span " << i;
    }
  }
}

TEST(ColorizerWindows, RejectsNonPositiveBatchBudget) {
  ColorizerOptions options;
  options.model_directory = synesthesia::testing::TestDataPath("distilbert-tiny");
  options.max_batch_tokens = 0;
  EXPECT_THAT(Colorizer::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_batch_tokens")));
}

}  // namespace
}  // namespace synesthesia::engine

#include "models/training/pretrain.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/model/config.h"
#include "core/model/distilbert_module.h"
#include "core/model/model.h"
#include "core/projection/projection.h"
#include "core/text/tokenizer.h"
#include "core/text/vocabulary.h"
#include "core/util/status_macros.h"
#include "models/training/colour_loss.h"
#include "models/training/colour_names.h"
#include "models/training/colour_sentences.h"
#include "models/training/evaluation.h"
#include "models/training/fit.h"
#include "models/training/name_colours.h"
#include "models/training/weight_average.h"

namespace synesthesia::training {
namespace {

// Names sampled for fitting the basis after training, next to the corpus.
constexpr size_t kBasisNames = 4000;

struct TokenizedName {
  std::vector<int64_t> ids;
  // Index in IDS of the first token of each word (split at white space).
  std::vector<size_t> word_starts;
  colour::OkLab target;
  float weight = 1;  // the name's weight in the name loss
};

// A part of a training sequence: tokens [begin, end) of the sequence, which
// are a colour name (NAME >= 0, its index) or neutral text (NAME == -1).
struct Segment {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t name = -1;
};

// A colour sentence tokenized: its ids, each object's tokens and the
// colour term's tokens as half-open ranges of positions in IDS.
struct TokenizedColourSentence {
  std::vector<int64_t> ids;
  std::vector<std::pair<int64_t, int64_t>> objects;
  std::pair<int64_t, int64_t> colour_term;
};

// An object and the colour term of a colour sentence placed in a sequence,
// as half-open ranges of sequence positions.
struct ObjectColour {
  std::pair<int64_t, int64_t> object;
  std::pair<int64_t, int64_t> colour_term;
};

struct Sequence {
  std::vector<int64_t> ids;
  std::vector<Segment> segments;
  std::vector<ObjectColour> object_colours;
};

// The tensors of one training step.
struct Batch {
  torch::Tensor ids;                // int64 [batch, length]
  torch::Tensor mask;               // int64 [batch, length], 1 for real tokens
  torch::Tensor name_token_index;   // int64 [m], flat index batch * length + t
  torch::Tensor name_segment;       // int64 [m], which name the token belongs to
  torch::Tensor name_token_weight;  // float [m], 1 / tokens in its name
  torch::Tensor name_targets;       // float [names, 3], OKLab
  torch::Tensor name_weights;       // float [names], TokenizedName::weight
  torch::Tensor neutral_index;      // int64 [k], flat indices of neutral tokens
  // Objects of colour sentences and their colour terms, pooled as names
  // are: flat token indices, which pair each token belongs to, and
  // 1 / tokens in its object or colour term.
  int64_t object_count = 0;
  torch::Tensor object_token_index;
  torch::Tensor object_pair;
  torch::Tensor object_token_weight;
  torch::Tensor colour_term_token_index;
  torch::Tensor colour_term_pair;
  torch::Tensor colour_term_token_weight;
};

// The semantic head while training: the same GELU MLP that SemanticHead
// applies at inference.
struct HeadImpl : torch::nn::Module {
  HeadImpl(int64_t dim, int64_t hidden) {
    hidden_layer = register_module("hidden", torch::nn::Linear(dim, hidden));
    output_layer = register_module("output", torch::nn::Linear(hidden, 3));
  }
  torch::Tensor forward(const torch::Tensor& states) {
    return output_layer(torch::gelu(hidden_layer(states)));
  }
  torch::nn::Linear hidden_layer{nullptr};
  torch::nn::Linear output_layer{nullptr};
};
TORCH_MODULE(Head);

class SequenceSampler {
 public:
  SequenceSampler(const std::vector<TokenizedName>& names,
                  const std::vector<std::vector<int64_t>>& sentences,
                  const std::vector<TokenizedColourSentence>& colour_sentences,
                  std::vector<int64_t> unseen_tokens, const PretrainOptions& options,
                  int64_t cls_id, int64_t sep_id)
      : names_(names),
        sentences_(sentences),
        colour_sentences_(colour_sentences),
        unseen_tokens_(std::move(unseen_tokens)),
        options_(options),
        cls_id_(cls_id),
        sep_id_(sep_id),
        random_(options.seed) {}

  // Returns one epoch of sequences, every name in one of them (unless it no
  // longer fits beside longer parts), in random order.
  std::vector<Sequence> Epoch() {
    std::vector<int64_t> order(names_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    std::shuffle(order.begin(), order.end(), random_);

    std::vector<Sequence> sequences;
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    size_t next = 0;
    while (next < order.size()) {
      const double draw = uniform(random_);
      size_t count = draw < options_.one_name_probability                                    ? 1
                     : draw < options_.one_name_probability + options_.two_names_probability ? 2
                                                                                             : 3;
      count = std::min(count, order.size() - next);

      // Parts: name indices >= 0, -1 for a sentence, -2 for random tokens,
      // -3 for a colour sentence.
      std::vector<int64_t> parts(order.begin() + static_cast<std::ptrdiff_t>(next),
                                 order.begin() + static_cast<std::ptrdiff_t>(next + count));
      next += count;
      if (!sentences_.empty() && uniform(random_) < options_.sentence_probability) {
        parts.push_back(-1);
      }
      if (!unseen_tokens_.empty() && uniform(random_) < options_.unseen_probability) {
        parts.push_back(-2);
      }
      if (!colour_sentences_.empty() &&
          uniform(random_) < options_.colour_sentence_probability) {
        parts.push_back(-3);
      }
      std::shuffle(parts.begin(), parts.end(), random_);
      sequences.push_back(Build(parts));
    }
    return sequences;
  }

 private:
  Sequence Build(const std::vector<int64_t>& parts) {
    Sequence sequence;
    sequence.ids.push_back(cls_id_);
    const size_t limit = static_cast<size_t>(options_.max_position_embeddings) - 1;  // [SEP]
    for (int64_t part : parts) {
      std::vector<int64_t> ids;
      const TokenizedColourSentence* colour_sentence = nullptr;
      if (part == -3) {
        std::uniform_int_distribution<size_t> pick(0, colour_sentences_.size() - 1);
        colour_sentence = &colour_sentences_[pick(random_)];
        ids = colour_sentence->ids;
      } else if (part >= 0) {
        ids = NameOrOneWord(names_[static_cast<size_t>(part)]);
      } else if (part == -1) {
        std::uniform_int_distribution<size_t> pick(0, sentences_.size() - 1);
        ids = sentences_[pick(random_)];
      } else {
        std::uniform_int_distribution<size_t> pick(0, unseen_tokens_.size() - 1);
        std::uniform_int_distribution<int> length(1, 3);
        for (int i = length(random_); i > 0; --i) ids.push_back(unseen_tokens_[pick(random_)]);
      }
      if (ids.empty() || sequence.ids.size() + ids.size() > limit) continue;

      const int64_t begin = static_cast<int64_t>(sequence.ids.size());
      sequence.ids.insert(sequence.ids.end(), ids.begin(), ids.end());
      if (colour_sentence != nullptr) {
        // Only the objects carry a loss: the other words of the sentence
        // ("is", "bright") are context, neither neutral nor coloured.
        const auto& term = colour_sentence->colour_term;
        for (const auto& object : colour_sentence->objects) {
          sequence.object_colours.push_back(
              {{begin + object.first, begin + object.second},
               {begin + term.first, begin + term.second}});
        }
        continue;
      }
      sequence.segments.push_back(
          {begin, static_cast<int64_t>(sequence.ids.size()), part >= 0 ? part : -1});
    }
    sequence.ids.push_back(sep_id_);
    return sequence;
  }

  // Returns the tokens of NAME or, with chance name_word_probability, those
  // of one of its words drawn at random. A word alone then learns the
  // colour of the names it occurs in.
  std::vector<int64_t> NameOrOneWord(const TokenizedName& name) {
    // No draw for names of one word or when the option is off, so that
    // runs without it sample as before it existed.
    if (name.word_starts.size() < 2 || !(options_.name_word_probability > 0)) return name.ids;
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    if (uniform(random_) >= options_.name_word_probability) return name.ids;
    std::uniform_int_distribution<size_t> pick(0, name.word_starts.size() - 1);
    const size_t word = pick(random_);
    const size_t end =
        word + 1 < name.word_starts.size() ? name.word_starts[word + 1] : name.ids.size();
    return {name.ids.begin() + static_cast<std::ptrdiff_t>(name.word_starts[word]),
            name.ids.begin() + static_cast<std::ptrdiff_t>(end)};
  }

  const std::vector<TokenizedName>& names_;
  const std::vector<std::vector<int64_t>>& sentences_;
  const std::vector<TokenizedColourSentence>& colour_sentences_;
  std::vector<int64_t> unseen_tokens_;
  const PretrainOptions& options_;
  int64_t cls_id_;
  int64_t sep_id_;
  std::mt19937_64 random_;
};

Batch MakeBatch(std::span<const Sequence> sequences, const std::vector<TokenizedName>& names,
                int64_t pad_id) {
  const int64_t batch = static_cast<int64_t>(sequences.size());
  int64_t length = 0;
  for (const Sequence& sequence : sequences) {
    length = std::max(length, static_cast<int64_t>(sequence.ids.size()));
  }

  std::vector<int64_t> ids(static_cast<size_t>(batch * length), pad_id);
  std::vector<int64_t> mask(static_cast<size_t>(batch * length), 0);
  std::vector<int64_t> name_token_index;
  std::vector<int64_t> name_segment;
  std::vector<float> name_token_weight;
  std::vector<float> name_targets;
  std::vector<float> name_weights;
  std::vector<int64_t> neutral_index;
  int64_t segment_count = 0;
  std::vector<int64_t> object_token_index;
  std::vector<int64_t> object_pair;
  std::vector<float> object_token_weight;
  std::vector<int64_t> colour_term_token_index;
  std::vector<int64_t> colour_term_pair;
  std::vector<float> colour_term_token_weight;
  int64_t pair_count = 0;
  auto add_range = [&](const std::pair<int64_t, int64_t>& range, int64_t row,
                       std::vector<int64_t>& index, std::vector<int64_t>& pair,
                       std::vector<float>& weight) {
    for (int64_t t = range.first; t < range.second; ++t) {
      index.push_back(row + t);
      pair.push_back(pair_count);
      weight.push_back(1.0f / static_cast<float>(range.second - range.first));
    }
  };
  for (int64_t b = 0; b < batch; ++b) {
    const Sequence& sequence = sequences[static_cast<size_t>(b)];
    for (size_t t = 0; t < sequence.ids.size(); ++t) {
      ids[static_cast<size_t>(b * length) + t] = sequence.ids[t];
      mask[static_cast<size_t>(b * length) + t] = 1;
    }
    for (const ObjectColour& object_colour : sequence.object_colours) {
      add_range(object_colour.object, b * length, object_token_index, object_pair,
                object_token_weight);
      add_range(object_colour.colour_term, b * length, colour_term_token_index, colour_term_pair,
                colour_term_token_weight);
      ++pair_count;
    }
    for (const Segment& segment : sequence.segments) {
      if (segment.name < 0) {
        for (int64_t t = segment.begin; t < segment.end; ++t) neutral_index.push_back(b * length + t);
        continue;
      }
      const float weight = 1.0f / static_cast<float>(segment.end - segment.begin);
      for (int64_t t = segment.begin; t < segment.end; ++t) {
        name_token_index.push_back(b * length + t);
        name_segment.push_back(segment_count);
        name_token_weight.push_back(weight);
      }
      const TokenizedName& name = names[static_cast<size_t>(segment.name)];
      name_targets.insert(name_targets.end(), {static_cast<float>(name.target.l),
                                               static_cast<float>(name.target.a),
                                               static_cast<float>(name.target.b)});
      name_weights.push_back(name.weight);
      ++segment_count;
    }
  }

  auto long_tensor = [](const std::vector<int64_t>& values) {
    return torch::tensor(values, torch::kInt64);
  };
  Batch result;
  result.ids = long_tensor(ids).view({batch, length});
  result.mask = long_tensor(mask).view({batch, length});
  result.name_token_index = long_tensor(name_token_index);
  result.name_segment = long_tensor(name_segment);
  result.name_token_weight = torch::tensor(name_token_weight, torch::kFloat32);
  result.name_targets = torch::tensor(name_targets, torch::kFloat32).view({segment_count, 3});
  result.name_weights = torch::tensor(name_weights, torch::kFloat32);
  result.neutral_index = long_tensor(neutral_index);
  result.object_count = pair_count;
  result.object_token_index = long_tensor(object_token_index);
  result.object_pair = long_tensor(object_pair);
  result.object_token_weight = torch::tensor(object_token_weight, torch::kFloat32);
  result.colour_term_token_index = long_tensor(colour_term_token_index);
  result.colour_term_pair = long_tensor(colour_term_pair);
  result.colour_term_token_weight = torch::tensor(colour_term_token_weight, torch::kFloat32);
  return result;
}

// The learning rate at PROGRESS (0 at the start, 1 at the end of training).
double LearningRate(const PretrainOptions& options, double progress) {
  if (progress < options.warmup_fraction) {
    return options.learning_rate * progress / options.warmup_fraction;
  }
  const double decay = (progress - options.warmup_fraction) / (1.0 - options.warmup_fraction);
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(decay, 1.0)));
  const double floor = options.final_learning_rate_fraction;
  return options.learning_rate * (floor + (1.0 - floor) * cosine);
}

RowMatrixXf ToMatrix(const torch::Tensor& tensor) {
  const torch::Tensor values = tensor.detach().to(torch::kFloat32).contiguous();
  const Eigen::Index rows = values.size(0);
  const Eigen::Index cols = values.dim() > 1 ? values.size(1) : 1;
  return Eigen::Map<const RowMatrixXf>(values.data_ptr<float>(), rows, cols);
}

projection::SemanticHead ToSemanticHead(Head& head) {
  projection::SemanticHead result;
  result.hidden_weight = ToMatrix(head->hidden_layer->weight);
  result.hidden_bias = ToMatrix(head->hidden_layer->bias).col(0);
  result.output_weight = ToMatrix(head->output_layer->weight);
  result.output_bias = ToMatrix(head->output_layer->bias).col(0);
  return result;
}

absl::Status CheckOptions(const PretrainOptions& options) {
  auto invalid = [](auto&&... pieces) {
    return absl::InvalidArgumentError(absl::StrCat(pieces...));
  };
  if (options.output_directory.empty()) return invalid("the output directory is required");
  if (options.epochs < 1) return invalid("epochs must be at least 1, got ", options.epochs);
  if (options.max_names < 0) {
    return invalid("max_names must not be negative (0 uses every name), got ", options.max_names);
  }
  if (options.batch_size < 1) return invalid("batch_size must be at least 1");
  if (options.head_hidden < 1) return invalid("head_hidden must be at least 1");
  if (options.max_position_embeddings < 3) {
    return invalid("max_position_embeddings must be at least 3 ([CLS], a token, [SEP])");
  }
  if (!(options.learning_rate > 0)) return invalid("learning_rate must be positive");
  if (!(options.warmup_fraction >= 0 && options.warmup_fraction < 1)) {
    return invalid("warmup_fraction must be in [0, 1)");
  }
  if (!(options.dropout >= 0 && options.dropout < 1)) return invalid("dropout must be in [0, 1)");
  if (!(options.weight_decay >= 0)) {
    return invalid("weight_decay must not be negative, got ", options.weight_decay);
  }
  if (options.average_last_epochs < 0 || options.average_last_epochs > options.epochs) {
    return invalid("average_last_epochs must be in [0, epochs (", options.epochs, ")], got ",
                   options.average_last_epochs, ". Lower it or raise epochs");
  }
  if (!(options.colour_sentence_weight >= 0)) {
    return invalid("colour_sentence_weight must not be negative");
  }
  for (double probability :
       {options.one_name_probability, options.two_names_probability,
        options.sentence_probability, options.unseen_probability,
        options.colour_sentence_probability}) {
    if (!(probability >= 0 && probability <= 1)) return invalid("probabilities must be in [0, 1]");
  }
  if (!(options.name_lightness_weight > 0)) return invalid("name_lightness_weight must be positive");
  if (!(options.name_chroma_scale >= 0)) return invalid("name_chroma_scale must not be negative");
  if (options.name_loss_ciede2000 &&
      (options.name_loss_distance || options.name_chroma_scale != 0 ||
       options.name_lightness_weight != 1)) {
    return invalid(
        "name_loss_ciede2000 weighs lightness, chroma and hue itself; drop name_loss_distance, "
        "name_chroma_scale and name_lightness_weight or turn name_loss_ciede2000 off");
  }
  if (!(options.single_word_weight > 0)) return invalid("single_word_weight must be positive");
  if (!(options.descriptive_weight > 0)) return invalid("descriptive_weight must be positive");
  if (!(options.name_word_probability >= 0 && options.name_word_probability <= 1)) {
    return invalid("name_word_probability must be in [0, 1], got ", options.name_word_probability);
  }
  if (!(options.name_gamut_weight >= 0)) {
    return invalid("name_gamut_weight must not be negative, got ", options.name_gamut_weight);
  }
  if (options.even_rgb_bins < 0 || options.even_rgb_bins > 256) {
    return invalid("even_rgb_bins must be 0 (off) to 256, got ", options.even_rgb_bins);
  }
  if (!(options.even_rgb_max_weight >= 1)) {
    return invalid("even_rgb_max_weight must be at least 1, got ", options.even_rgb_max_weight);
  }
  if (!(options.validation_fraction >= 0 && options.validation_fraction < 0.5)) {
    return invalid("validation_fraction must be in [0, 0.5), got ", options.validation_fraction);
  }
  if (options.one_name_probability + options.two_names_probability > 1) {
    return invalid("one_name_probability + two_names_probability must not exceed 1");
  }
  return absl::OkStatus();
}

absl::Status WriteTextFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path.string(), " failed"));
  return absl::OkStatus();
}

// True when NAME has a basic colour term (or "gray") as a word.
bool IsDescriptive(const ColourName& name) {
  for (const absl::string_view word :
       absl::StrSplit(NormaliseName(name.name), ' ', absl::SkipEmpty())) {
    if (word == "gray" || std::find(kBasicColourTerms.begin(), kBasicColourTerms.end(),
                                    std::string_view(word.data(), word.size())) !=
                              kBasicColourTerms.end()) {
      return true;
    }
  }
  return false;
}

// Tokenizes every name without [CLS] and [SEP], cutting a name to
// MAX_TOKENS tokens; a name with no tokens is dropped. A name's loss weight
// is SINGLE_WORD_WEIGHT for a name of one word, times DESCRIPTIVE_WEIGHT for
// a name with a basic colour term as a word (IsDescriptive), times its
// EVEN_RGB weight when that is set.
absl::StatusOr<std::vector<TokenizedName>> TokenizeNames(
    const text::Tokenizer& tokenizer, const std::vector<ColourName>& names, size_t max_tokens,
    double single_word_weight, double descriptive_weight,
    const std::optional<EvenRgbWeighting>& even_rgb) {
  std::vector<TokenizedName> tokenized;
  for (const ColourName& name : names) {
    ASSIGN_OR_RETURN(std::vector<text::Token> tokens, tokenizer.Tokenize(name.name));
    if (tokens.empty()) continue;
    TokenizedName entry;
    for (size_t i = 0; i < tokens.size() && i < max_tokens; ++i) {
      const int64_t start = tokens[i].byte_start;
      if (i == 0 || (start > 0 && absl::ascii_isspace(static_cast<unsigned char>(
                                      name.name[static_cast<size_t>(start - 1)])))) {
        entry.word_starts.push_back(i);
      }
      entry.ids.push_back(tokens[i].id);
    }
    entry.target = name.oklab;
    double weight = 1.0;
    if (NormaliseName(name.name).find(' ') == std::string::npos) weight *= single_word_weight;
    if (IsDescriptive(name)) weight *= descriptive_weight;
    if (even_rgb) weight *= even_rgb->Weight(name.rgb);
    entry.weight = static_cast<float>(weight);
    tokenized.push_back(std::move(entry));
  }
  return tokenized;
}

// Tokenizes SENTENCES, cutting each to MAX_TOKENS tokens, and finds the
// tokens of each object and of the colour term by their byte spans. A
// sentence whose colour term or objects were cut off is dropped.
absl::StatusOr<std::vector<TokenizedColourSentence>> TokenizeColourSentences(
    const text::Tokenizer& tokenizer, const std::vector<ColourSentence>& sentences,
    size_t max_tokens) {
  std::vector<TokenizedColourSentence> tokenized;
  for (const ColourSentence& sentence : sentences) {
    ASSIGN_OR_RETURN(std::vector<text::Token> tokens, tokenizer.Tokenize(sentence.text));
    if (tokens.size() > max_tokens) tokens.resize(max_tokens);

    // The tokens inside SPAN, as a range of positions; empty when none.
    auto token_range = [&tokens](const ByteSpan& span) {
      std::pair<int64_t, int64_t> range{-1, -1};
      for (size_t t = 0; t < tokens.size(); ++t) {
        if (tokens[t].byte_start >= span.begin && tokens[t].byte_end <= span.end) {
          if (range.first < 0) range.first = static_cast<int64_t>(t);
          range.second = static_cast<int64_t>(t) + 1;
        }
      }
      return range;
    };
    TokenizedColourSentence entry;
    for (const text::Token& token : tokens) entry.ids.push_back(token.id);
    entry.colour_term = token_range(sentence.colour_term);
    bool complete = entry.colour_term.first >= 0;
    for (const ByteSpan& object : sentence.objects) {
      entry.objects.push_back(token_range(object));
      complete = complete && entry.objects.back().first >= 0;
    }
    if (complete) tokenized.push_back(std::move(entry));
  }
  return tokenized;
}

// Scores the saved MODEL with HEAD on the validation NAMES: each name's
// colour as the pipeline shows it (OKLab mean of its tokens, gamut-mapped
// to 8-bit sRGB) against its true colour by CIEDE2000. EVEN_RGB weighs the
// names for the even-RGB mean.
absl::StatusOr<ValidationScores> ScoreValidation(const model::Model& model,
                                                 const projection::SemanticHead& head,
                                                 const std::vector<ColourName>& names,
                                                 const EvenRgbWeighting& even_rgb) {
  std::vector<std::string> texts;
  for (const ColourName& name : names) texts.push_back(name.name);
  ASSIGN_OR_RETURN(std::vector<colour::OkLab> predicted, PredictTextColours(model, head, texts));

  std::vector<double> distances;
  double descriptive_total = 0;
  double even_rgb_total = 0;
  double even_rgb_weights = 0;
  ValidationScores scores;
  for (size_t i = 0; i < names.size(); ++i) {
    const double distance = colour::Ciede2000(colour::Rgb8ToLab(colour::OkLabToRgb8(predicted[i])),
                                              colour::Rgb8ToLab(names[i].rgb));
    distances.push_back(distance);
    scores.mean_ciede2000 += distance;
    const double weight = even_rgb.Weight(names[i].rgb);
    even_rgb_total += weight * distance;
    even_rgb_weights += weight;
    if (IsDescriptive(names[i])) {
      descriptive_total += distance;
      ++scores.descriptive_names;
    }
  }
  scores.names = static_cast<int64_t>(names.size());
  if (scores.names > 0) scores.mean_ciede2000 /= static_cast<double>(scores.names);
  if (even_rgb_weights > 0) scores.even_rgb_mean_ciede2000 = even_rgb_total / even_rgb_weights;
  if (scores.descriptive_names > 0) {
    scores.descriptive_mean_ciede2000 =
        descriptive_total / static_cast<double>(scores.descriptive_names);
  }
  if (!distances.empty()) {
    std::sort(distances.begin(), distances.end());
    const size_t middle = distances.size() / 2;
    scores.median_ciede2000 = distances.size() % 2 == 1
                                  ? distances[middle]
                                  : 0.5 * (distances[middle - 1] + distances[middle]);
  }
  return scores;
}

// Moves up to COUNT descriptive names (those with a basic colour term as a
// word, such as "pale blue") out of NAMES and returns them. Calibration
// needs names whose colour their words describe, as in the XKCD survey;
// many other names ("100 Mph") have arbitrary colours, for which the best
// prediction stays near the mean.
std::vector<ColourName> TakeCalibrationNames(std::vector<ColourName>& names, int64_t count) {
  std::vector<ColourName> taken;
  std::vector<ColourName> kept;
  for (ColourName& name : names) {
    const bool descriptive = static_cast<int64_t>(taken.size()) < count && IsDescriptive(name);
    (descriptive ? taken : kept).push_back(std::move(name));
  }
  names = std::move(kept);
  return taken;
}

// Runs the epochs and leaves the trained weights in MODULE and HEAD.
PretrainSummary RunTraining(const PretrainOptions& options, model::DistilBertModule& module,
                            Head& head, SequenceSampler& sampler,
                            const std::vector<TokenizedName>& names, int64_t pad_id,
                            const colour::OkLab& neutral) {
  std::vector<torch::Tensor> parameters;
  for (const torch::Tensor& parameter : module->parameters()) {
    if (parameter.requires_grad()) parameters.push_back(parameter);
  }
  for (const torch::Tensor& parameter : head->parameters()) parameters.push_back(parameter);
  torch::optim::AdamW optimizer(
      parameters,
      torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay));

  const torch::Tensor neutral_target =
      torch::tensor({static_cast<float>(neutral.l), 0.0f, 0.0f}).view({1, 3});
  const torch::Tensor name_channel_weights =
      torch::tensor({static_cast<float>(options.name_lightness_weight), 1.0f, 1.0f}).view({1, 3});
  const torch::Tensor neutral_channel_weights =
      torch::tensor({static_cast<float>(options.neutral_lightness_weight), 1.0f, 1.0f})
          .view({1, 3});

  WeightAverage average(parameters);

  module->train();
  head->train();
  PretrainSummary summary;
  summary.names = static_cast<int64_t>(names.size());
  const auto training_start = std::chrono::steady_clock::now();
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const std::vector<Sequence> sequences = sampler.Epoch();
    const int64_t steps =
        (static_cast<int64_t>(sequences.size()) + options.batch_size - 1) / options.batch_size;

    EpochStats stats;
    stats.epoch = epoch + 1;
    double name_loss_sum = 0;
    double neutral_loss_sum = 0;
    double colour_sentence_loss_sum = 0;
    for (int64_t step = 0; step < steps; ++step) {
      const double progress = (static_cast<double>(epoch) +
                               static_cast<double>(step) / static_cast<double>(steps)) /
                              static_cast<double>(options.epochs);
      stats.learning_rate = LearningRate(options, progress);
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(stats.learning_rate);
      }

      const size_t begin = static_cast<size_t>(step * options.batch_size);
      const size_t end = std::min(sequences.size(), begin + static_cast<size_t>(options.batch_size));
      const Batch batch = MakeBatch(std::span<const Sequence>(sequences).subspan(begin, end - begin),
                                    names, pad_id);

      const torch::Tensor hidden = module->forward(batch.ids, batch.mask);
      const torch::Tensor colours = head->forward(hidden.reshape({-1, hidden.size(2)}));

      torch::Tensor loss = torch::zeros({}, torch::kFloat32);
      if (batch.name_targets.size(0) > 0) {
        const torch::Tensor weighted = colours.index_select(0, batch.name_token_index) *
                                       batch.name_token_weight.unsqueeze(1);
        const torch::Tensor pooled = torch::zeros({batch.name_targets.size(0), 3})
                                         .index_add(0, batch.name_segment, weighted);
        torch::Tensor per_name;
        if (options.name_loss_ciede2000) {
          per_name = Ciede2000(OkLabToLab(pooled), OkLabToLab(batch.name_targets)) / 100.0;
        } else {
          torch::Tensor channel_weights = name_channel_weights;
          if (options.name_chroma_scale > 0) {
            const torch::Tensor chroma =
                batch.name_targets.slice(1, 1, 3).pow(2).sum(1, /*keepdim=*/true).sqrt();
            const torch::Tensor ab_weight =
                (1.0 + options.name_chroma_scale * chroma).pow(-2.0);
            channel_weights = torch::cat({name_channel_weights.slice(1, 0, 1).expand_as(ab_weight),
                                          ab_weight, ab_weight},
                                         1);
          }
          const torch::Tensor squared =
              ((pooled - batch.name_targets).pow(2) * channel_weights).sum(1);
          // The small constant keeps the gradient of the square root finite
          // at a perfect prediction.
          per_name = options.name_loss_distance ? (squared + 1e-8).sqrt() : squared;
        }
        if (options.name_gamut_weight > 0) {
          per_name = per_name + options.name_gamut_weight * SrgbGamutExcess(pooled);
        }
        const torch::Tensor name_loss =
            (per_name * batch.name_weights).sum() / batch.name_weights.sum();
        name_loss_sum += name_loss.item<double>();
        loss = loss + name_loss;
      }
      if (batch.object_count > 0) {
        auto pool = [&](const torch::Tensor& index, const torch::Tensor& pair,
                        const torch::Tensor& weight) {
          return torch::zeros({batch.object_count, 3})
              .index_add(0, pair, colours.index_select(0, index) * weight.unsqueeze(1));
        };
        const torch::Tensor objects =
            pool(batch.object_token_index, batch.object_pair, batch.object_token_weight);
        const torch::Tensor terms = pool(batch.colour_term_token_index, batch.colour_term_pair,
                                         batch.colour_term_token_weight)
                                        .detach();
        const torch::Tensor colour_sentence_loss = (objects - terms).pow(2).sum(1).mean();
        colour_sentence_loss_sum += colour_sentence_loss.item<double>();
        loss = loss + options.colour_sentence_weight * colour_sentence_loss;
      }
      if (batch.neutral_index.size(0) > 0) {
        const torch::Tensor difference =
            colours.index_select(0, batch.neutral_index) - neutral_target;
        const torch::Tensor neutral_loss =
            (difference.pow(2) * neutral_channel_weights).sum(1).mean();
        neutral_loss_sum += neutral_loss.item<double>();
        loss = loss + options.neutral_weight * neutral_loss;
      }

      optimizer.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(parameters, options.max_gradient_norm);
      optimizer.step();
    }

    stats.steps = steps;
    stats.name_loss = name_loss_sum / static_cast<double>(std::max<int64_t>(steps, 1));
    stats.neutral_loss = neutral_loss_sum / static_cast<double>(std::max<int64_t>(steps, 1));
    stats.colour_sentence_loss =
        colour_sentence_loss_sum / static_cast<double>(std::max<int64_t>(steps, 1));
    stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    summary.steps += steps;
    summary.last_epoch = stats;
    if (epoch >= options.epochs - options.average_last_epochs) average.Add();
    if (options.on_epoch) options.on_epoch(stats);
  }
  average.Apply();
  summary.training_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - training_start).count();
  module->eval();
  head->eval();
  return summary;
}

absl::StatusOr<PretrainSummary> PretrainOrThrow(const PretrainOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  if (options.threads > 0) torch::set_num_threads(options.threads);

  // Data.
  ASSIGN_OR_RETURN(text::Vocabulary vocabulary, text::Vocabulary::Load(options.vocabulary_path));
  const int64_t vocab_size = vocabulary.size();
  text::TokenizerOptions tokenizer_options;
  tokenizer_options.add_special_tokens = false;
  ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tokenizer,
                   text::Tokenizer::Create(vocabulary, tokenizer_options));

  ASSIGN_OR_RETURN(std::vector<ColourName> names, LoadColourNames(options.names_path));
  if (!options.held_out_path.empty()) {
    ASSIGN_OR_RETURN(std::vector<ColourName> held_out, LoadColourNames(options.held_out_path));
    names = RemoveHeldOut(names, held_out);
  }
  std::mt19937_64 subset_random(options.seed ^ 0x5eedULL);
  std::shuffle(names.begin(), names.end(), subset_random);
  const size_t validation_count =
      static_cast<size_t>(options.validation_fraction * static_cast<double>(names.size()));
  const std::vector<ColourName> validation_names(
      names.end() - static_cast<std::ptrdiff_t>(validation_count), names.end());
  names.resize(names.size() - validation_count);
  if (options.max_names > 0 && static_cast<int64_t>(names.size()) > options.max_names) {
    names.resize(static_cast<size_t>(options.max_names));
  }
  const std::vector<ColourName> calibration_names =
      TakeCalibrationNames(names, std::min(std::max<int64_t>(options.calibration_names, 0),
                                           static_cast<int64_t>(names.size() / 5)));
  ASSIGN_OR_RETURN(std::vector<std::string> corpus, LoadCorpus(options.corpus_path));
  std::vector<ColourSentence> colour_sentences;
  if (!options.colour_sentences_path.empty()) {
    ASSIGN_OR_RETURN(colour_sentences, LoadColourSentences(options.colour_sentences_path));
  }

  const size_t max_tokens = static_cast<size_t>(options.max_position_embeddings - 2);
  ASSIGN_OR_RETURN(std::vector<TokenizedName> tokenized,
                   TokenizeNames(*tokenizer, names, max_tokens, options.single_word_weight,
                                 options.descriptive_weight,
                                 options.even_rgb_bins > 0
                                     ? std::make_optional<EvenRgbWeighting>(
                                           names, options.even_rgb_bins,
                                           options.even_rgb_max_weight)
                                     : std::nullopt));
  if (tokenized.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no training colour names left in ", options.names_path,
                     " after removing the held-out and validation names"));
  }
  std::vector<std::vector<int64_t>> sentences;
  for (const std::string& sentence : corpus) {
    ASSIGN_OR_RETURN(std::vector<text::Token> tokens, tokenizer->Tokenize(sentence));
    std::vector<int64_t> ids;
    for (size_t i = 0; i < tokens.size() && i < max_tokens; ++i) ids.push_back(tokens[i].id);
    if (!ids.empty()) sentences.push_back(std::move(ids));
  }

  ASSIGN_OR_RETURN(std::vector<TokenizedColourSentence> tokenized_colour_sentences,
                   TokenizeColourSentences(*tokenizer, colour_sentences, max_tokens));

  // Vocabulary entries that no name uses and that text can produce (not
  // [PAD], [unused0], ...): trained as neutral, so that a word the names
  // never taught comes out grey rather than a random colour.
  absl::flat_hash_set<int64_t> name_tokens;
  for (const TokenizedName& name : tokenized) name_tokens.insert(name.ids.begin(), name.ids.end());
  for (const TokenizedColourSentence& sentence : tokenized_colour_sentences) {
    for (const auto& [begin, end] : sentence.objects) {
      name_tokens.insert(sentence.ids.begin() + begin, sentence.ids.begin() + end);
    }
  }
  std::vector<int64_t> unseen_tokens;
  for (int32_t id = 0; id < vocabulary.size(); ++id) {
    if (!name_tokens.contains(id) && !vocabulary.Entry(id).starts_with("[")) {
      unseen_tokens.push_back(id);
    }
  }

  // Model and head.
  model::DistilBertConfig config;
  config.vocab_size = vocab_size;
  config.dim = options.dim;
  config.n_layers = options.n_layers;
  config.n_heads = options.n_heads;
  config.hidden_dim = options.hidden_dim;
  config.max_position_embeddings = options.max_position_embeddings;
  config.pad_token_id = tokenizer->pad_id();
  RETURN_IF_ERROR(config.Validate());

  torch::manual_seed(options.seed);
  model::DistilBertModule module(
      config, model::DistilBertModuleOptions{options.dropout, options.dropout});
  Head head(options.dim, options.head_hidden);
  colour::OkLab mean_colour;
  for (const TokenizedName& name : tokenized) {
    mean_colour.l += name.target.l;
    mean_colour.a += name.target.a;
    mean_colour.b += name.target.b;
  }
  {
    torch::NoGradGuard no_grad;
    const double n = static_cast<double>(tokenized.size());
    head->output_layer->bias.copy_(torch::tensor({static_cast<float>(mean_colour.l / n),
                                                  static_cast<float>(mean_colour.a / n),
                                                  static_cast<float>(mean_colour.b / n)}));
  }

  SequenceSampler sampler(tokenized, sentences, tokenized_colour_sentences,
                          std::move(unseen_tokens), options,
                          tokenizer->cls_id(), tokenizer->sep_id());
  // The model directory, created before training so that a path that
  // cannot be a directory fails at once rather than after the epochs.
  const std::filesystem::path directory(options.output_directory);
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create the output directory ",
                                                   directory.string(), ": ", error.message()));
  }

  PretrainSummary summary = RunTraining(options, module, head, sampler, tokenized,
                                        tokenizer->pad_id(), NeutralTarget(names));

  RETURN_IF_ERROR(WriteTextFile(directory / "config.json", config.ToJson()));
  std::filesystem::copy_file(options.vocabulary_path, directory / "vocab.txt",
                             std::filesystem::copy_options::overwrite_existing, error);
  if (error) {
    return absl::InternalError(absl::StrCat("copying ", options.vocabulary_path, " to ",
                                            directory.string(), " failed: ", error.message()));
  }
  RETURN_IF_ERROR(model::SaveDistilBertWeights(
      *module, (directory / "model.safetensors").string(), "",
      options.half_precision_weights ? model::DType::kF16 : model::DType::kF32));

  // The basis, fitted with the saved encoder through core's inference path.
  ASSIGN_OR_RETURN(std::unique_ptr<model::Model> saved, model::Model::Load(directory.string()));
  std::vector<ColourName> basis_names = names;
  std::shuffle(basis_names.begin(), basis_names.end(), subset_random);
  if (basis_names.size() > kBasisNames) basis_names.resize(kBasisNames);
  ASSIGN_OR_RETURN(projection::Basis basis,
                   FitBasisOnTexts(*saved, corpus, basis_names, 1.0, 99.0));

  projection::SemanticHead semantic_head = ToSemanticHead(head);
  if (!calibration_names.empty()) {
    ASSIGN_OR_RETURN(summary.calibration,
                     CalibrateHead(*saved, semantic_head, calibration_names));
  }

  projection::Projections projections;
  // "runs/mini/" normalizes to "runs/mini/", whose filename() is empty.
  const std::filesystem::path normal = std::filesystem::absolute(directory).lexically_normal();
  const std::string directory_name =
      normal.has_filename() ? normal.filename().string() : normal.parent_path().filename().string();
  projections.name = options.model_name.empty() ? directory_name : options.model_name;
  if (projections.name.empty()) projections.name = "synesthesia-model";
  if (!validation_names.empty()) {
    ASSIGN_OR_RETURN(summary.validation,
                     ScoreValidation(*saved, semantic_head, validation_names,
                                     EvenRgbWeighting(names, kValidationEvenRgbBins,
                                                      kValidationEvenRgbMaxWeight)));
  }
  projections.basis = std::move(basis);
  projections.semantic = std::move(semantic_head);
  // File names without their directories, so that the manifest does not
  // depend on where the repository was checked out.
  auto file_name = [](const std::string& path) {
    return std::filesystem::path(path).filename().string();
  };
  projections.provenance = {
      {"trained_by", absl::StrCat("synesthesia-train pretrain, seed ", options.seed, ", ",
                                  options.epochs, options.epochs == 1 ? " epoch" : " epochs")},
      {"basis.corpus", absl::StrCat(file_name(options.corpus_path), " and ", basis_names.size(),
                                    " training colour names")},
      {"semantic.trained_on",
       absl::StrCat(tokenized.size(), " colour names from ", file_name(options.names_path),
                    options.held_out_path.empty()
                        ? std::string()
                        : absl::StrCat(" minus those in ", file_name(options.held_out_path)),
                    ", jointly with the encoder")},
  };
  if (!tokenized_colour_sentences.empty()) {
    projections.provenance.emplace_back(
        "semantic.colour_sentences",
        absl::StrCat(tokenized_colour_sentences.size(), " sentences from ",
                     file_name(options.colour_sentences_path)));
  }
  if (!calibration_names.empty()) {
    projections.provenance.emplace_back(
        "semantic.calibration",
        absl::StrFormat("lightness gain %.2f around %.3f, chroma gain %.2f, chosen on %d "
                        "set-aside training names (mean CIEDE2000 %.2f before, %.2f after)",
                        summary.calibration.lightness_gain, summary.calibration.lightness_centre,
                        summary.calibration.chroma_gain, calibration_names.size(),
                        summary.calibration.mean_ciede2000_before,
                        summary.calibration.mean_ciede2000_after));
  }
  if (summary.validation) {
    projections.provenance.emplace_back(
        "semantic.validation",
        absl::StrFormat("mean CIEDE2000 %.2f (median %.2f) on %d validation names set aside "
                        "from the training names; %.2f on the %d of them with a basic colour "
                        "term; %.2f weighted as if their colours covered the sRGB cube evenly",
                        summary.validation->mean_ciede2000, summary.validation->median_ciede2000,
                        summary.validation->names, summary.validation->descriptive_mean_ciede2000,
                        summary.validation->descriptive_names,
                        summary.validation->even_rgb_mean_ciede2000));
  }
  RETURN_IF_ERROR(projection::SaveProjections(directory.string(), projections));
  return summary;
}

}  // namespace

absl::StatusOr<PretrainSummary> Pretrain(const PretrainOptions& options) {
  try {
    return PretrainOrThrow(options);
  } catch (const c10::Error& error) {
    std::string message = error.what_without_backtrace();
    if (size_t newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
    return absl::InternalError(absl::StrCat("training failed in libtorch: ", message));
  }
}

}  // namespace synesthesia::training

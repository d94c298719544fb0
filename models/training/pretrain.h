// Training a small DistilBERT-architecture model from scratch on colour
// names, with libtorch autograd through core's DistilBertModule, so the
// trained encoder runs unchanged at inference.
//
// Each training sequence is [CLS] segment segment ... [SEP]. A segment is a
// colour name, an ordinary corpus sentence, a sentence stating an object's
// colour, or a few random vocabulary tokens that no colour name uses. The semantic head (a GELU MLP, as
// SemanticHead applies it) maps every token to OKLab. Losses:
//   - a name's tokens, averaged in OKLab as the colouring pipeline shows a
//     word or a name, against the name's colour (OKLab distance, optionally
//     squared, see name_loss_distance);
//   - in a colour sentence ("Fresh [blood] is red."), the bracketed
//     object's tokens against the colour the head gives the colour term;
//   - every token of a sentence or random segment against a neutral grey
//     (NeutralTarget), with the lightness term weighted by
//     neutral_lightness_weight, so words with no colour association stay
//     near zero chroma.
// Several segments per sequence teach the encoder to keep each word's colour
// its own, as in "banana ocean grass".
#ifndef SYNESTHESIA_MODELS_TRAINING_PRETRAIN_H_
#define SYNESTHESIA_MODELS_TRAINING_PRETRAIN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "models/training/fit.h"

namespace synesthesia::training {

// Losses and timing of one training epoch.
struct EpochStats {
  int64_t epoch = 0;  // 1-based
  int64_t steps = 0;
  // The name loss (see name_loss_distance) and the neutral loss, as
  // weighted in training, averaged over the epoch's steps.
  double name_loss = 0;
  double neutral_loss = 0;
  double colour_sentence_loss = 0;
  double learning_rate = 0;  // at the end of the epoch
  double seconds = 0;        // wall time of the epoch
};

struct PretrainOptions {
  // The model directory to write (created if missing). Required.
  std::string output_directory;
  // The WordPiece vocabulary, one entry per line. Required.
  std::string vocabulary_path;
  // Training colour names, CSV "name,hex". Required.
  std::string names_path;
  // Names removed from training (the held-out test set). Default: none.
  std::string held_out_path;
  // Ordinary sentences, one per line. Required.
  std::string corpus_path;
  // Sentences that state an object's colour, in the format of
  // LoadColourSentences ("The [ocean] is deep and blue."). Default: none.
  std::string colour_sentences_path;
  // The model's name in synesthesia.json. Default: the output directory's
  // base name.
  std::string model_name;
  // Seeds libtorch's generator (initial weights, dropout) and the sampling
  // of training sequences. Default: 1.
  uint64_t seed = 1;
  // Share of the training names, drawn with SEED before MAX_NAMES applies,
  // set aside as a validation split: never trained on, scored after
  // training (PretrainSummary::validation) to choose settings without
  // looking at the held-out test set. 0 trains on every name. Default: 0.05.
  double validation_fraction = 0.05;
  // Uses a random subset of MAX_NAMES training names; 0 uses all. Default: 0.
  int64_t max_names = 0;

  // Architecture (DistilBertConfig fields). Defaults: 128 wide, 2 layers of
  // 4 heads, a 512-wide feed-forward network, 128 positions.
  int64_t dim = 128;
  int64_t n_layers = 2;
  int64_t n_heads = 4;
  int64_t hidden_dim = 512;
  int64_t max_position_embeddings = 128;
  // Width of the semantic head's hidden layer. Default: 128.
  int64_t head_hidden = 128;
  // Dropout on embeddings, attention and feed-forward outputs while
  // training. Default: 0.1.
  double dropout = 0.1;

  // Optimisation: AdamW with linear warm-up over WARMUP_FRACTION of the
  // training, then cosine decay to FINAL_LEARNING_RATE_FRACTION of the peak.
  int64_t epochs = 12;
  int64_t batch_size = 64;         // sequences per step
  double learning_rate = 1e-3;     // peak
  double weight_decay = 0.01;
  double warmup_fraction = 0.05;
  double final_learning_rate_fraction = 0.05;
  // Number of final epochs whose end-of-epoch weights are averaged into the
  // saved weights (stochastic weight averaging). Default: 0, which saves the
  // last step's weights.
  int64_t average_last_epochs = 0;
  // Gradient norm clip. Default: 1.
  double max_gradient_norm = 1.0;

  // Sequence sampling: each sequence takes 1, 2 or 3 names with these
  // chances (the rest of 1 is for 3), adds a corpus sentence with
  // SENTENCE_PROBABILITY and a random-token segment with
  // UNSEEN_PROBABILITY.
  double one_name_probability = 0.5;
  double two_names_probability = 0.3;
  double sentence_probability = 0.3;
  double unseen_probability = 0.1;
  // Chance of adding a colour sentence (see colour_sentences_path) to a
  // sequence, and the weight of its loss. That loss compares each bracketed
  // object's tokens, averaged in OKLab, with the colour that the head gives
  // the sentence's colour term in the same pass. The term's colour is held
  // constant, so the term is not pulled towards the object. Defaults: 0.1
  // and 1.
  double colour_sentence_probability = 0.1;
  double colour_sentence_weight = 1.0;
  // The name loss: false for the squared OKLab distance (fits the mean
  // colour of a name's uses), true for the plain distance (fits their
  // geometric median, closer to scoring by mean colour difference).
  // Default: false.
  bool name_loss_distance = false;
  // Train names on CIEDE2000 itself, the difference synesthesia-eval scores
  // with: the pooled OKLab colour and the true colour are converted to
  // CIELAB and the loss is their CIEDE2000 divided by 100 (about the scale
  // of the OKLab distance). Excludes name_loss_distance, name_chroma_scale
  // and name_lightness_weight, whose roles CIEDE2000's own weights take.
  // Default: false.
  bool name_loss_ciede2000 = false;
  // Weight of a penalty on how far a name's pooled colour lies outside the
  // sRGB gamut (SrgbGamutExcess, summed over linear sRGB channels), added
  // to its name loss. The losses compare colours before gamut mapping, so
  // without it a light yellow predicted slightly too light costs little in
  // training and is shown nearly white. 0 is off. Default: 0.
  double name_gamut_weight = 0.0;
  // Weight of the lightness difference against the a and b differences in
  // the name loss. Default: 1.
  double name_lightness_weight = 1.0;
  // Divides a name's a and b differences by 1 + NAME_CHROMA_SCALE * C, where
  // C is the OKLab chroma of its true colour, as CIEDE2000 divides chroma
  // and hue differences by a weight that grows with chroma. 0 weighs every
  // colour alike. Default: 0.
  double name_chroma_scale = 0.0;
  // Loss weight of a name of one word (such as "banana") against a name of
  // several words, so that a word alone, as in running text, learns its own
  // colour and not only its share of longer names. Default: 1.
  double single_word_weight = 1.0;
  // Loss weight of a name with a basic colour term as a word ("pale blue",
  // "dark green"), whose colour its words describe, against a name whose
  // words do not ("100 Mph"). Multiplies single_word_weight. Default: 1.
  double descriptive_weight = 1.0;
  // Bins per channel of an EvenRgbWeighting over the training names. Above
  // 0, each name's loss weight is multiplied by its even-RGB weight, so the
  // names count as if their colours covered the sRGB cube evenly, as the
  // XKCD survey's colours do. 0 is off. Default: 0.
  int even_rgb_bins = 0;
  // The largest such weight. Default: 10.
  double even_rgb_max_weight = 10.0;
  // Chance that a name of several words is replaced in its sequence by one
  // of its words, drawn at random, whose target is the whole name's colour.
  // Teaches a word alone ("straw", "forest") the colour of the names it
  // occurs in, as a one-word name or running text shows it. Default: 0.
  double name_word_probability = 0.0;
  // Weight of the neutral-token loss against the name loss, and of its
  // lightness term against its chroma terms. Defaults: 0.5 and 0.1.
  double neutral_weight = 0.5;
  double neutral_lightness_weight = 0.1;

  // Descriptive training names (with a basic colour term as a word) set
  // aside to calibrate the head (CalibrateHead) after training; at most a
  // fifth of the names. 0 skips calibration. Default: 0.
  // NOTE: in a trial of synesthesia-mini's recipe (8,000 names, 4 epochs)
  // the chosen gains were 1.0: set-aside training names show no shrinkage,
  // although held-out XKCD names would gain from more chroma.
  int64_t calibration_names = 0;
  // Stores model.safetensors as F16 (half the size). Default: true.
  bool half_precision_weights = true;
  // libtorch intra-op threads; 0 keeps libtorch's default. Default: 0.
  int threads = 0;
  // Called after every epoch, for progress logs. Optional.
  std::function<void(const EpochStats&)> on_epoch;
};

// Scores of the trained model on the validation split.
struct ValidationScores {
  int64_t names = 0;
  double mean_ciede2000 = 0;
  double median_ciede2000 = 0;
  // The same on the names with a basic colour term as a word (such as
  // "pale blue"), whose colours their words describe.
  int64_t descriptive_names = 0;
  double descriptive_mean_ciede2000 = 0;
  // The mean with each name weighted by an EvenRgbWeighting over the
  // training names (kValidationEvenRgbBins, kValidationEvenRgbMaxWeight),
  // whatever the training weights. It estimates the mean over colours that
  // cover the sRGB cube evenly, as the XKCD survey's do.
  double even_rgb_mean_ciede2000 = 0;
};

inline constexpr int kValidationEvenRgbBins = 6;
inline constexpr double kValidationEvenRgbMaxWeight = 10.0;

struct PretrainSummary {
  int64_t names = 0;  // training names used
  // Set when PretrainOptions::validation_fraction is above 0.
  std::optional<ValidationScores> validation;
  HeadCalibration calibration;
  int64_t steps = 0;
  double training_seconds = 0;  // wall time of the epochs
  EpochStats last_epoch;
};

// Trains a model as the file comment describes and writes a complete model
// directory: config.json, vocab.txt, model.safetensors, and through
// SaveProjections synesthesia.json with the trained semantic head
// (calibrated on the set-aside names) and a basis fitted (FitBasisOnTexts)
// on the corpus and names with the saved encoder. Then scores the saved
// model on the validation split. INVALID_ARGUMENT for unusable options or
// data; the file readers' and writers' errors otherwise.
absl::StatusOr<PretrainSummary> Pretrain(const PretrainOptions& options);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_PRETRAIN_H_

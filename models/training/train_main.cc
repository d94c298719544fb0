// synesthesia-train: fits projections on a frozen encoder (fit) or trains
// a small model from scratch on colour names (pretrain). See
// docs/training.md.
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "models/training/flags_help.h"
#include "models/training/fit.h"
#include "models/training/pretrain.h"

#define SOURCE_PATH(relative) SYNESTHESIA_SOURCE_DIR "/" relative

ABSL_FLAG(std::string, model, "", "fit: the model directory whose projections are fitted");
ABSL_FLAG(std::string, out, "", "pretrain: the model directory to write");
ABSL_FLAG(std::string, corpus, SOURCE_PATH("models/corpus/sentences.txt"),
          "ordinary sentences, one per line: basis corpus and neutral examples");
ABSL_FLAG(std::string, colour_sentences, SOURCE_PATH("models/corpus/colour_sentences.txt"),
          "pretrain: sentences stating objects' colours, objects in [brackets]; empty for none");
ABSL_FLAG(std::string, names, SOURCE_PATH("models/data/train.csv"),
          "training colour names, CSV with the header name,hex");
ABSL_FLAG(std::string, held_out, SOURCE_PATH("models/data/xkcd.csv"),
          "colour names never trained on (CSV); empty for none");
ABSL_FLAG(std::string, vocab, SOURCE_PATH("tests/data/vocab/bert-base-uncased-vocab.txt"),
          "pretrain: the WordPiece vocabulary");
ABSL_FLAG(std::string, name, "", "pretrain: the model's name; default: the output directory's name");
ABSL_FLAG(int64_t, max_names, 0, "use at most this many training names (0: all)");
ABSL_FLAG(double, ridge_lambda, 1e-3, "fit: relative ridge penalty of the linear head");
ABSL_FLAG(double, neutral_weight, -1,
          "weight of the neutral (corpus) examples; default: 0.25 for fit, 0.5 for pretrain");
ABSL_FLAG(uint64_t, seed, 1, "pretrain: random seed");
ABSL_FLAG(int64_t, epochs, 12, "pretrain: training epochs");
ABSL_FLAG(int64_t, dim, 128, "pretrain: hidden size");
ABSL_FLAG(int64_t, layers, 2, "pretrain: transformer layers");
ABSL_FLAG(int64_t, heads, 4, "pretrain: attention heads");
ABSL_FLAG(int64_t, hidden_dim, 512, "pretrain: feed-forward width");
ABSL_FLAG(int64_t, max_positions, 128, "pretrain: max_position_embeddings");
ABSL_FLAG(int64_t, head_hidden, 128, "pretrain: width of the semantic head's hidden layer");
ABSL_FLAG(int64_t, batch_size, 64, "pretrain: sequences per step");
ABSL_FLAG(double, learning_rate, 1e-3, "pretrain: peak AdamW learning rate");
ABSL_FLAG(double, dropout, 0.1, "pretrain: dropout probability");
ABSL_FLAG(double, weight_decay, 0.01, "pretrain: AdamW weight decay");
ABSL_FLAG(int64_t, average_last_epochs, 0,
          "pretrain: save the mean of the weights at the end of each of the last N epochs "
          "(0: the last step's weights)");
ABSL_FLAG(bool, name_loss_distance, false,
          "pretrain: train names on the OKLab distance (true) or its square (false)");
ABSL_FLAG(bool, name_loss_ciede2000, false,
          "pretrain: train names on CIEDE2000 between the pooled and the true colour, as "
          "synesthesia-eval scores");
ABSL_FLAG(double, name_lightness_weight, 1.0,
          "pretrain: weight of lightness against a and b in the name loss");
ABSL_FLAG(double, name_chroma_scale, 0.0,
          "pretrain: divide a name's a and b errors by 1 + this * its OKLab chroma (0: off)");
ABSL_FLAG(double, single_word_weight, 1.0,
          "pretrain: loss weight of one-word names against longer names");
ABSL_FLAG(double, descriptive_weight, 1.0,
          "pretrain: loss weight of a name with a basic colour term as a word");
ABSL_FLAG(int32_t, even_rgb_bins, 0,
          "pretrain: weigh names as if their colours covered the sRGB cube evenly, counted in "
          "this many bins per channel (0: off)");
ABSL_FLAG(double, even_rgb_max_weight, 10.0, "pretrain: the largest even-RGB weight of a name");
ABSL_FLAG(double, name_gamut_weight, 0.0,
          "pretrain: weight of a penalty on a name's colour lying outside the sRGB gamut (0: off)");
ABSL_FLAG(double, name_word_probability, 0.0,
          "pretrain: chance that a name of several words stands in a sequence as one of its "
          "words, with the whole name's colour");
ABSL_FLAG(double, validation_fraction, 0.05,
          "pretrain: share of training names set aside and scored after training (0: none)");
ABSL_FLAG(double, one_name_probability, 0.5, "pretrain: chance of a sequence with one name");
ABSL_FLAG(double, two_names_probability, 0.3, "pretrain: chance of a sequence with two names");
ABSL_FLAG(double, sentence_probability, 0.3, "pretrain: chance of adding a corpus sentence");
ABSL_FLAG(double, unseen_probability, 0.1,
          "pretrain: chance of adding random tokens that no name uses");
ABSL_FLAG(double, colour_sentence_probability, 0.1,
          "pretrain: chance of adding a colour sentence to a sequence");
ABSL_FLAG(double, colour_sentence_weight, 1.0,
          "pretrain: weight of the colour-sentence loss against the name loss");
ABSL_FLAG(int64_t, calibration_names, 0,
          "pretrain: training names set aside to calibrate the head (0: no calibration)");
ABSL_FLAG(bool, f16, true, "pretrain: store model.safetensors as F16");
ABSL_FLAG(int32_t, threads, 0, "libtorch intra-op threads (0: libtorch's default)");

namespace {

using synesthesia::training::EpochStats;

int RunFit() {
  synesthesia::training::FitOptions options;
  options.model_directory = absl::GetFlag(FLAGS_model);
  if (options.model_directory.empty()) {
    std::cerr << "synesthesia-train fit: --model DIR is required\n";
    return 2;
  }
  options.corpus_path = absl::GetFlag(FLAGS_corpus);
  options.names_path = absl::GetFlag(FLAGS_names);
  options.held_out_path = absl::GetFlag(FLAGS_held_out);
  options.max_names = absl::GetFlag(FLAGS_max_names);
  options.ridge_lambda = absl::GetFlag(FLAGS_ridge_lambda);
  if (absl::GetFlag(FLAGS_neutral_weight) >= 0) {
    options.neutral_weight = absl::GetFlag(FLAGS_neutral_weight);
  }

  absl::StatusOr<synesthesia::training::FitSummary> summary =
      synesthesia::training::FitProjections(options);
  if (!summary.ok()) {
    LOG(ERROR) << "fitting projections for " << options.model_directory
               << " failed: " << summary.status();
    return 1;
  }
  std::cout << absl::StrFormat(
      "fitted the basis and a linear semantic head in %s on %d names and %d corpus tokens; "
      "training mean CIEDE2000 %.2f\n",
      options.model_directory, summary->names, summary->corpus_tokens,
      summary->training_mean_ciede2000);
  return 0;
}

int RunPretrain() {
  synesthesia::training::PretrainOptions options;
  options.output_directory = absl::GetFlag(FLAGS_out);
  if (options.output_directory.empty()) {
    std::cerr << "synesthesia-train pretrain: --out DIR is required\n";
    return 2;
  }
  options.vocabulary_path = absl::GetFlag(FLAGS_vocab);
  options.names_path = absl::GetFlag(FLAGS_names);
  options.held_out_path = absl::GetFlag(FLAGS_held_out);
  options.corpus_path = absl::GetFlag(FLAGS_corpus);
  options.colour_sentences_path = absl::GetFlag(FLAGS_colour_sentences);
  options.colour_sentence_probability = absl::GetFlag(FLAGS_colour_sentence_probability);
  options.colour_sentence_weight = absl::GetFlag(FLAGS_colour_sentence_weight);
  options.model_name = absl::GetFlag(FLAGS_name);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.max_names = absl::GetFlag(FLAGS_max_names);
  options.epochs = absl::GetFlag(FLAGS_epochs);
  options.dim = absl::GetFlag(FLAGS_dim);
  options.n_layers = absl::GetFlag(FLAGS_layers);
  options.n_heads = absl::GetFlag(FLAGS_heads);
  options.hidden_dim = absl::GetFlag(FLAGS_hidden_dim);
  options.max_position_embeddings = absl::GetFlag(FLAGS_max_positions);
  options.head_hidden = absl::GetFlag(FLAGS_head_hidden);
  options.batch_size = absl::GetFlag(FLAGS_batch_size);
  options.learning_rate = absl::GetFlag(FLAGS_learning_rate);
  options.dropout = absl::GetFlag(FLAGS_dropout);
  options.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  options.average_last_epochs = absl::GetFlag(FLAGS_average_last_epochs);
  options.half_precision_weights = absl::GetFlag(FLAGS_f16);
  options.name_loss_distance = absl::GetFlag(FLAGS_name_loss_distance);
  options.name_loss_ciede2000 = absl::GetFlag(FLAGS_name_loss_ciede2000);
  options.calibration_names = absl::GetFlag(FLAGS_calibration_names);
  options.name_lightness_weight = absl::GetFlag(FLAGS_name_lightness_weight);
  options.name_chroma_scale = absl::GetFlag(FLAGS_name_chroma_scale);
  options.single_word_weight = absl::GetFlag(FLAGS_single_word_weight);
  options.descriptive_weight = absl::GetFlag(FLAGS_descriptive_weight);
  options.even_rgb_bins = absl::GetFlag(FLAGS_even_rgb_bins);
  options.name_word_probability = absl::GetFlag(FLAGS_name_word_probability);
  options.name_gamut_weight = absl::GetFlag(FLAGS_name_gamut_weight);
  options.even_rgb_max_weight = absl::GetFlag(FLAGS_even_rgb_max_weight);
  options.validation_fraction = absl::GetFlag(FLAGS_validation_fraction);
  options.one_name_probability = absl::GetFlag(FLAGS_one_name_probability);
  options.two_names_probability = absl::GetFlag(FLAGS_two_names_probability);
  options.sentence_probability = absl::GetFlag(FLAGS_sentence_probability);
  options.unseen_probability = absl::GetFlag(FLAGS_unseen_probability);
  options.threads = absl::GetFlag(FLAGS_threads);
  if (absl::GetFlag(FLAGS_neutral_weight) >= 0) {
    options.neutral_weight = absl::GetFlag(FLAGS_neutral_weight);
  }
  options.on_epoch = [&options](const EpochStats& stats) {
    LOG(INFO) << absl::StrFormat(
        "epoch %d/%d: %d steps, name loss %.5f, neutral loss %.5f, colour sentence loss "
        "%.5f, learning rate %.2e, %.1f s",
        stats.epoch, options.epochs, stats.steps, stats.name_loss, stats.neutral_loss,
        stats.colour_sentence_loss, stats.learning_rate, stats.seconds);
  };

  LOG(INFO) << "training " << options.output_directory << " with seed " << options.seed;
  absl::StatusOr<synesthesia::training::PretrainSummary> summary =
      synesthesia::training::Pretrain(options);
  if (!summary.ok()) {
    LOG(ERROR) << "training " << options.output_directory << " failed: " << summary.status();
    return 1;
  }
  std::cout << absl::StrFormat(
      "trained %s on %d names: %d steps in %.1f s; last epoch name loss %.5f\n",
      options.output_directory, summary->names, summary->steps, summary->training_seconds,
      summary->last_epoch.name_loss);
  if (summary->validation) {
    std::cout << absl::StrFormat(
        "validation: %d names, mean CIEDE2000 %.2f, median %.2f; %d with a basic colour term, "
        "mean %.2f; mean weighted for an even spread over the sRGB cube %.2f\n",
        summary->validation->names, summary->validation->mean_ciede2000,
        summary->validation->median_ciede2000, summary->validation->descriptive_names,
        summary->validation->descriptive_mean_ciede2000,
        summary->validation->even_rgb_mean_ciede2000);
  }
  if (options.calibration_names > 0) {
    std::cout << absl::StrFormat(
        "head calibration: lightness gain %.2f, chroma gain %.2f; calibration names' mean "
        "CIEDE2000 %.2f before, %.2f after\n",
        summary->calibration.lightness_gain, summary->calibration.chroma_gain,
        summary->calibration.mean_ciede2000_before, summary->calibration.mean_ciede2000_after);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "fits projections or trains a model on colour names.\n"
      "  synesthesia-train fit --model DIR [--corpus FILE] [--names CSV]\n"
      "  synesthesia-train pretrain --out DIR [--seed N] [--epochs N] [...]");
  synesthesia::training::ConfigureFlagsHelp("train_main.cc", "synesthesia-train " SYNESTHESIA_VERSION);
  std::vector<char*> arguments = absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;

  if (arguments.size() != 2) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  const std::string command = arguments[1];
  if (command == "fit") return RunFit();
  if (command == "pretrain") return RunPretrain();
  std::cerr << "synesthesia-train: unknown command '" << command
            << "'; expected fit or pretrain\n";
  return 2;
}

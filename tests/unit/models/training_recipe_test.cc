// A smoke run of the training recipe through the real programs: a tiny model
// trained for one short epoch, evaluated, and checked for the report's shape.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/model/model.h"
#include "models/training/colour_names.h"
#include "models/training/pretrain.h"
#include "core/projection/projection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::training {
namespace {

using ::synesthesia::testing::BuildPath;
using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;

// Runs COMMAND through the shell and returns its standard output; EXIT_CODE
// receives the exit status.
std::string RunCommand(const std::string& command, int& exit_code) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    exit_code = -1;
    return output;
  }
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, read);
  const int status = pclose(pipe);
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Trains the smoke model into DIRECTORY with SEED and the recipe flags
// EXTRA; returns the exit code.
int TrainSmokeModel(const std::string& directory, int seed, const std::string& extra = "") {
  std::filesystem::remove_all(directory);
  int exit_code = 0;
  RunCommand(BuildPath("models/training/synesthesia-train") + " pretrain --out " + directory +
                 " --seed " + std::to_string(seed) +
                 " --max_names 400 --epochs 1 --dim 32 --layers 1 --heads 2 --hidden_dim 64"
                 " --head_hidden 16 --max_positions 64 --threads 1 " + extra + " 2>" +
                 directory + ".log",
             exit_code);
  return exit_code;
}

TEST(TrainingRecipe, SmokeModelLoadsAndEvaluates) {
  const std::string directory = ScratchDirectory("smoke-model");
  ASSERT_EQ(TrainSmokeModel(directory, 3), 0) << ReadFile(directory + ".log");

  for (const char* file : {"config.json", "vocab.txt", "model.safetensors", "synesthesia.json",
                           "basis.safetensors", "semantic.safetensors"}) {
    EXPECT_TRUE(std::filesystem::exists(directory + "/" + file)) << file;
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<model::Model> model, model::Model::Load(directory));
  const std::string base_name = std::filesystem::path(directory).filename().string();
  EXPECT_EQ(model->name(), base_name);
  EXPECT_EQ(model->config().dim, 32);
  ASSERT_OK_AND_ASSIGN(projection::Projections projections,
                       projection::LoadProjections(directory, 32));
  EXPECT_TRUE(projections.basis.has_value());
  ASSERT_TRUE(projections.semantic.has_value());
  EXPECT_EQ(projections.semantic->hidden_weight.rows(), 16);

  int exit_code = 0;
  const std::string json_text = RunCommand(
      BuildPath("models/training/synesthesia-eval") + " --json --model " + directory, exit_code);
  ASSERT_EQ(exit_code, 0) << json_text;
  const nlohmann::json report = nlohmann::json::parse(json_text, nullptr, false);
  ASSERT_TRUE(report.is_object()) << json_text;
  EXPECT_EQ(report["model"], base_name);
  EXPECT_EQ(report["names"], 949);
  for (const char* scores : {"model_scores", "baseline_scores"}) {
    for (const char* field : {"mean_ciede2000", "median_ciede2000", "category_accuracy"}) {
      EXPECT_TRUE(report[scores][field].is_number()) << scores << "." << field;
    }
  }
  // A constant mean colour is about 31 CIEDE2000 from the XKCD colours.
  EXPECT_GT(report["baseline_scores"]["mean_ciede2000"].get<double>(), 28.0);
  EXPECT_LT(report["baseline_scores"]["mean_ciede2000"].get<double>(), 34.0);
  ASSERT_TRUE(report["basic_words"].is_array());
  EXPECT_EQ(report["basic_words"].size(), 11u);
  EXPECT_EQ(report["basic_words"][0]["word"], "red");
  EXPECT_THAT(report["basic_words"][0]["predicted"].get<std::string>(),
              ::testing::MatchesRegex("#[0-9a-f]{6}"));
  EXPECT_TRUE(report["all_basic_words_in_own_category"].is_boolean());

  const std::string text = RunCommand(
      BuildPath("models/training/synesthesia-eval") + " --model " + directory, exit_code);
  ASSERT_EQ(exit_code, 0) << text;
  EXPECT_THAT(text, ::testing::HasSubstr("mean CIEDE2000"));
  EXPECT_THAT(text, ::testing::HasSubstr("basic category accuracy"));
}

TEST(TrainingRecipe, SameSeedGivesSameWeights) {
  const std::string first = ScratchDirectory("seeded-first");
  const std::string second = ScratchDirectory("seeded-second");
  ASSERT_EQ(TrainSmokeModel(first, 5), 0) << ReadFile(first + ".log");
  ASSERT_EQ(TrainSmokeModel(second, 5), 0) << ReadFile(second + ".log");

  EXPECT_EQ(ReadFile(first + "/model.safetensors"), ReadFile(second + "/model.safetensors"));
  EXPECT_EQ(ReadFile(first + "/semantic.safetensors"), ReadFile(second + "/semantic.safetensors"));
}

// The flags of synesthesia-mini's command (models/synesthesia-mini/
// README.md) at smoke scale: they run, and the same seed repeats the run.
// --name_word_probability, which the command does not use, runs too.
TEST(TrainingRecipe, EmbeddedModelsRecipeRunsAndRepeats) {
  const std::string recipe =
      "--name_loss_ciede2000 --even_rgb_bins 8 --one_name_probability 1 "
      "--two_names_probability 0 --name_gamut_weight 1";
  const std::string first = ScratchDirectory("recipe-first");
  const std::string second = ScratchDirectory("recipe-second");
  ASSERT_EQ(TrainSmokeModel(first, 7, recipe), 0) << ReadFile(first + ".log");
  ASSERT_EQ(TrainSmokeModel(second, 7, recipe), 0) << ReadFile(second + ".log");

  EXPECT_EQ(ReadFile(first + "/model.safetensors"), ReadFile(second + "/model.safetensors"));
  EXPECT_EQ(ReadFile(first + "/semantic.safetensors"), ReadFile(second + "/semantic.safetensors"));
  ASSERT_OK_AND_ASSIGN(projection::Projections projections,
                       projection::LoadProjections(first, 32));
  EXPECT_TRUE(projections.semantic.has_value());

  const std::string words = ScratchDirectory("recipe-words");
  ASSERT_EQ(TrainSmokeModel(words, 7, recipe + " --name_word_probability 0.5"), 0)
      << ReadFile(words + ".log");
}

TEST(TrainingRecipe, ValidationNamesAreSetAsideAndScored) {
  const std::string models = SYNESTHESIA_MODELS_DIR;
  PretrainOptions options;
  options.output_directory = ScratchDirectory("validation-model");
  options.vocabulary_path = TestDataPath("vocab/bert-base-uncased-vocab.txt");
  options.names_path = models + "/data/train.csv";
  options.held_out_path = models + "/data/xkcd.csv";
  options.corpus_path = models + "/corpus/sentences.txt";
  options.colour_sentences_path = models + "/corpus/colour_sentences.txt";
  options.max_names = 300;
  options.epochs = 1;
  options.dim = 32;
  options.n_layers = 1;
  options.n_heads = 2;
  options.hidden_dim = 64;
  options.head_hidden = 16;
  options.max_position_embeddings = 64;
  options.validation_fraction = 0.05;
  options.threads = 1;
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> names, LoadColourNames(options.names_path));
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> xkcd, LoadColourNames(options.held_out_path));
  const size_t candidates = RemoveHeldOut(names, xkcd).size();

  ASSERT_OK_AND_ASSIGN(PretrainSummary summary, Pretrain(options));

  EXPECT_EQ(summary.names, 300);
  ASSERT_TRUE(summary.validation.has_value());
  EXPECT_EQ(summary.validation->names,
            static_cast<int64_t>(0.05 * static_cast<double>(candidates)));
  EXPECT_GT(summary.validation->descriptive_names, 0);
  EXPECT_LT(summary.validation->descriptive_names, summary.validation->names);
  // CIEDE2000 between 8-bit sRGB colours is below about 120.
  EXPECT_GT(summary.validation->mean_ciede2000, 0.0);
  EXPECT_LT(summary.validation->mean_ciede2000, 120.0);
  EXPECT_GT(summary.validation->even_rgb_mean_ciede2000, 0.0);
  EXPECT_LT(summary.validation->even_rgb_mean_ciede2000, 120.0);
  const nlohmann::json manifest =
      nlohmann::json::parse(ReadFile(options.output_directory + "/synesthesia.json"), nullptr, false);
  ASSERT_TRUE(manifest.is_object());
  EXPECT_THAT(manifest["semantic"]["validation"].get<std::string>(),
              ::testing::HasSubstr("validation names"));
  EXPECT_THAT(manifest["semantic"]["validation"].get<std::string>(),
              ::testing::HasSubstr("sRGB cube evenly"));
  EXPECT_THAT(manifest["semantic"]["colour_sentences"].get<std::string>(),
              ::testing::HasSubstr("colour_sentences.txt"));

  options.validation_fraction = 0;
  ASSERT_OK_AND_ASSIGN(PretrainSummary without, Pretrain(options));
  EXPECT_FALSE(without.validation.has_value());
}

TEST(TrainingRecipe, InvalidLossOptionsAreRejected) {
  PretrainOptions options;
  options.output_directory = ScratchDirectory("invalid-options");
  options.validation_fraction = 0.5;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.validation_fraction = 0.05;
  options.single_word_weight = 0;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.single_word_weight = 1;
  options.descriptive_weight = -2;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.descriptive_weight = 1;
  options.name_chroma_scale = -1;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.name_chroma_scale = 0;
  options.name_loss_ciede2000 = true;
  options.name_loss_distance = true;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("name_loss_ciede2000")));
  options.name_loss_ciede2000 = false;
  options.name_loss_distance = false;
  options.colour_sentence_probability = 1.5;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.colour_sentence_probability = 0.1;
  options.name_word_probability = 1.5;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("name_word_probability")));
  options.name_word_probability = 0;
  options.name_gamut_weight = -1;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("name_gamut_weight")));
  options.name_gamut_weight = 0;
  options.even_rgb_bins = 300;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("even_rgb_bins")));
  options.even_rgb_bins = 8;
  options.even_rgb_max_weight = 0.5;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("even_rgb_max_weight")));
  options.even_rgb_max_weight = 10;
  options.weight_decay = -0.1;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("weight_decay")));
  options.weight_decay = 0.01;
  options.epochs = 3;
  options.average_last_epochs = 4;
  EXPECT_THAT(Pretrain(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("average_last_epochs")));
}

// Averaging over the last epoch alone saves the last step's weights byte
// for byte. Averaging over two epochs saves other weights, which still load.
TEST(TrainingRecipe, WeightAveragingChangesSavedWeights) {
  const std::string last_step = ScratchDirectory("average-none");
  const std::string last_epoch = ScratchDirectory("average-one");
  const std::string two_epochs = ScratchDirectory("average-two");
  ASSERT_EQ(TrainSmokeModel(last_step, 3, "--epochs 2"), 0) << ReadFile(last_step + ".log");
  ASSERT_EQ(TrainSmokeModel(last_epoch, 3, "--epochs 2 --average_last_epochs 1"), 0)
      << ReadFile(last_epoch + ".log");
  ASSERT_EQ(TrainSmokeModel(two_epochs, 3, "--epochs 2 --average_last_epochs 2"), 0)
      << ReadFile(two_epochs + ".log");

  EXPECT_EQ(ReadFile(last_step + "/model.safetensors"),
            ReadFile(last_epoch + "/model.safetensors"));
  EXPECT_EQ(ReadFile(last_step + "/semantic.safetensors"),
            ReadFile(last_epoch + "/semantic.safetensors"));
  EXPECT_NE(ReadFile(last_step + "/model.safetensors"),
            ReadFile(two_epochs + "/model.safetensors"));
  EXPECT_NE(ReadFile(last_step + "/semantic.safetensors"),
            ReadFile(two_epochs + "/semantic.safetensors"));
  ASSERT_OK_AND_ASSIGN(projection::Projections projections,
                       projection::LoadProjections(two_epochs, 32));
  EXPECT_TRUE(projections.semantic.has_value());
}

TEST(TrainingRecipe, FitCommandAddsProjectionsToCheckpoint) {
  const std::string directory = ScratchDirectory("fit-command");
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    std::filesystem::copy_file(TestDataPath(std::string("distilbert-tiny/") + file),
                               directory + "/" + file);
  }

  int exit_code = 0;
  const std::string output = RunCommand(BuildPath("models/training/synesthesia-train") +
                                            " fit --max_names 200 --model " + directory + " 2>&1",
                                        exit_code);

  ASSERT_EQ(exit_code, 0) << output;
  EXPECT_THAT(output, ::testing::HasSubstr("200 names"));
  ASSERT_OK_AND_ASSIGN(projection::Projections projections,
                       projection::LoadProjections(directory, 32));
  EXPECT_TRUE(projections.basis.has_value());
  EXPECT_TRUE(projections.semantic.has_value());
}

// The smoke model's flags, without --out.
const char kSmokeFlags[] =
    " --max_names 400 --epochs 1 --dim 32 --layers 1 --heads 2 --hidden_dim 64"
    " --head_hidden 16 --max_positions 64 --threads 1";

TEST(TrainingRecipe, TrailingSlashKeepsTheDirectoryName) {
  const std::string directory = ScratchDirectory("slash-model");
  int exit_code = 0;
  const std::string output = RunCommand(BuildPath("models/training/synesthesia-train") +
                                            " pretrain --out " + directory + "/" + kSmokeFlags +
                                            " 2>&1",
                                        exit_code);
  ASSERT_EQ(exit_code, 0) << output;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<model::Model> model, model::Model::Load(directory));
  EXPECT_EQ(model->name(), std::filesystem::path(directory).filename().string());
}

TEST(TrainingRecipe, UnusableOutputDirectoryFailsBeforeTraining) {
  const std::string scratch = ScratchDirectory("output-under-a-file");
  std::ofstream(scratch + "/file") << "not a directory";
  int exit_code = 0;
  const std::string output = RunCommand(BuildPath("models/training/synesthesia-train") +
                                            " pretrain --out " + scratch + "/file/model" +
                                            kSmokeFlags + " 2>&1",
                                        exit_code);
  EXPECT_EQ(exit_code, 1);
  EXPECT_THAT(output, ::testing::HasSubstr("cannot create the output directory " + scratch +
                                           "/file/model"));
  // No epoch ran.
  EXPECT_THAT(output, ::testing::Not(::testing::HasSubstr("epoch 1/1")));
}

TEST(TrainingRecipe, HelpListsEveryProgramsFlags) {
  int exit_code = 0;
  const std::string train_help =
      RunCommand(BuildPath("models/training/synesthesia-train") + " --help 2>&1", exit_code);
  EXPECT_THAT(train_help, ::testing::HasSubstr("--epochs"));
  EXPECT_THAT(train_help, ::testing::HasSubstr("--max_names"));
  const std::string eval_help =
      RunCommand(BuildPath("models/training/synesthesia-eval") + " --help 2>&1", exit_code);
  EXPECT_THAT(eval_help, ::testing::HasSubstr("--per_name_csv"));
}

TEST(TrainingRecipe, UnknownCommandFailsWithUsage) {
  int exit_code = 0;
  const std::string output =
      RunCommand(BuildPath("models/training/synesthesia-train") + " train 2>&1", exit_code);
  EXPECT_EQ(exit_code, 2);
  EXPECT_THAT(output, ::testing::HasSubstr("unknown command 'train'"));
}

}  // namespace
}  // namespace synesthesia::training

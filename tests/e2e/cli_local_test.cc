// The synesthesia CLI in local mode (no server): tokenize, embed and
// colorize against reference data, output formats, NO_COLOR and exit codes.
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "core/model/safetensors.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_testing.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::RunCli;
using testing::TestDataPath;

const std::string& TinyModel() {
  static const std::string* const directory = new std::string(TestDataPath("distilbert-tiny"));
  return *directory;
}

std::string Golden(const std::string& file) {
  return testing::ReadFileOrEmpty(testing::SourcePath("tests/e2e/golden/" + file));
}

TEST(LocalCli, TokenizeMatchesHuggingFaceFixture) {
  const nlohmann::json fixture =
      nlohmann::json::parse(testing::ReadFileOrEmpty(TestDataPath("tokenizer/conformance.json")));
  // The first case of each of these groups; none sets tokenizer options.
  const std::set<std::string> groups = {"english", "latin_accents", "cjk",
                                        "emoji",   "combining_marks", "rtl"};
  std::set<std::string> seen;
  for (const nlohmann::json& reference : fixture["cases"]) {
    const std::string group = reference["group"];
    if (!groups.contains(group) || seen.contains(group) || reference.contains("options")) continue;
    seen.insert(group);
    const std::string text = reference["text"];
    SCOPED_TRACE("group " + group + ", text: " + text);

    ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                         RunCli({"tokenize", "--model", TinyModel(), "-"}, testing::WithStdin(text)));
    ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
    const nlohmann::json tokens = nlohmann::json::parse(result.stdout_text)["tokens"];
    ASSERT_EQ(tokens.size(), reference["ids"].size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      SCOPED_TRACE("token " + std::to_string(i));
      EXPECT_EQ(tokens[i]["id"], reference["ids"][i]);
      EXPECT_EQ(tokens[i]["text"], reference["tokens"][i]);
      EXPECT_EQ(tokens[i]["special"], reference["special"][i]);
      EXPECT_EQ(tokens[i]["start"], reference["offsets"][i][0]);
      EXPECT_EQ(tokens[i]["end"], reference["offsets"][i][1]);
      EXPECT_EQ(tokens[i]["byte_start"], reference["byte_offsets"][i][0]);
      EXPECT_EQ(tokens[i]["byte_end"], reference["byte_offsets"][i][1]);
    }
  }
  EXPECT_EQ(seen, groups);
}

TEST(LocalCli, TokenizePrintsFieldsInDocumentedOrder) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                       RunCli({"tokenize", "--model", TinyModel(), "Hi!"}));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stdout_text,
            "{\"tokens\":[\n"
            "{\"id\":101,\"text\":\"[CLS]\",\"special\":true,\"start\":0,\"end\":0,"
            "\"byte_start\":0,\"byte_end\":0},\n"
            "{\"id\":7632,\"text\":\"hi\",\"special\":false,\"start\":0,\"end\":2,"
            "\"byte_start\":0,\"byte_end\":2},\n"
            "{\"id\":999,\"text\":\"!\",\"special\":false,\"start\":2,\"end\":3,"
            "\"byte_start\":2,\"byte_end\":3},\n"
            "{\"id\":102,\"text\":\"[SEP]\",\"special\":true,\"start\":0,\"end\":0,"
            "\"byte_start\":0,\"byte_end\":0}\n"
            "]}\n");
}

TEST(LocalCli, EmbedMatchesReferenceHiddenStates) {
  const nlohmann::json inputs =
      nlohmann::json::parse(testing::ReadFileOrEmpty(TestDataPath("distilbert-tiny/inputs.json")));
  const std::string text = inputs[1]["text"];
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<model::SafetensorsFile> expected,
      model::SafetensorsFile::Open(TestDataPath("distilbert-tiny/expected.safetensors")));
  const int64_t length = static_cast<int64_t>(inputs[1]["ids"].size());
  ASSERT_OK_AND_ASSIGN(std::vector<float> reference,
                       expected->ReadFloat32("single.1.last_hidden_state", {1, length, 32}));

  ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                       RunCli({"embed", "--model", TinyModel(), text}));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  const nlohmann::json output = nlohmann::json::parse(result.stdout_text);
  ASSERT_EQ(output["tokens"].size(), static_cast<size_t>(length));
  for (int64_t i = 0; i < length; ++i) EXPECT_EQ(output["tokens"][i]["id"], inputs[1]["ids"][i]);
  const nlohmann::json& hidden = output["last_hidden_state"];
  ASSERT_EQ(hidden.size(), static_cast<size_t>(length));
  for (int64_t row = 0; row < length; ++row) {
    ASSERT_EQ(hidden[row].size(), 32u);
    for (int64_t column = 0; column < 32; ++column) {
      EXPECT_NEAR(hidden[row][column].get<double>(), reference[row * 32 + column], 1e-4)
          << "row " << row << ", column " << column;
    }
  }
}

TEST(LocalCli, ColorizeMatchesGoldenInEveryFormat) {
  for (const std::string name : {"accents", "emoji"}) {
    const std::string input = testing::SourcePath("tests/e2e/golden/" + name + ".txt");
    for (const std::string format : {"json", "plain", "html", "ansi"}) {
      SCOPED_TRACE(name + "." + format);
      ASSERT_OK_AND_ASSIGN(
          testing::CommandResult result,
          RunCli({"colorize", "--model", TinyModel(), "--projection", "pca", "--format", format,
                  "--color", "always", "--file", input}));
      ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
      EXPECT_EQ(result.stdout_text, Golden(name + "." + format));
    }
  }
}

TEST(LocalCli, ColorizeReadsStandardInput) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                       RunCli({"colorize", "--model", TinyModel(), "--format", "json", "-"},
                              testing::WithStdin(Golden("accents.txt"))));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  // The model has only pca, so pca is also the default.
  EXPECT_EQ(result.stdout_text, Golden("accents.json"));
}

TEST(LocalCli, ColorizeEmptyTextGivesNoSpans) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                       RunCli({"colorize", "--model", TinyModel(), "--format", "json", ""}));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stdout_text, "{\"model\":\"distilbert-tiny\",\"projection\":\"pca\",\"spans\":[]}\n");
}

TEST(LocalCli, HtmlEscapesMarkup) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                       RunCli({"colorize", "--model", TinyModel(), "--format", "html",
                               "<b>fish & \"chips\"</b>"}));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, StartsWith("<!DOCTYPE html>\n"));
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("<b>")));
  EXPECT_THAT(result.stdout_text, HasSubstr("&amp;</span>"));
  EXPECT_THAT(result.stdout_text, HasSubstr("&quot;</span>"));
  EXPECT_THAT(result.stdout_text, HasSubstr("&lt;</span>"));
}

TEST(LocalCli, SpecialTokensAppearWithEmptyText) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                       RunCli({"colorize", "--model", TinyModel(), "--format", "json",
                               "--special", "red green blue"}));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  const nlohmann::json spans = nlohmann::json::parse(result.stdout_text)["spans"];
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(spans.front()["text"], "");
  EXPECT_EQ(spans.front()["end"], 0);
  EXPECT_EQ(spans[1]["text"], "red");
  EXPECT_EQ(spans.back()["text"], "");
}

// Colour codes follow --color, whether standard output is a terminal, and
// NO_COLOR.
TEST(LocalCli, AnsiColourFollowsTerminalAndNoColor) {
  struct Case {
    std::string name;
    bool terminal;
    std::optional<std::string> no_color;
    std::string color;
    bool expect_colour;
  };
  const std::vector<Case> cases = {
      {"terminal, auto", true, std::nullopt, "auto", true},
      {"pipe, auto", false, std::nullopt, "auto", false},
      {"terminal, NO_COLOR=1", true, "1", "auto", false},
      {"terminal, empty NO_COLOR", true, "", "auto", true},
      {"terminal, NO_COLOR=1, always", true, "1", "always", true},
      {"pipe, always", false, std::nullopt, "always", true},
      {"terminal, never", true, std::nullopt, "never", false},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    testing::CliOptions options;
    options.terminal = test_case.terminal;
    if (test_case.no_color.has_value()) options.set_environment["NO_COLOR"] = *test_case.no_color;
    ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                         RunCli({"colorize", "--model", TinyModel(), "--format", "ansi",
                                 "--color", test_case.color, "red green"},
                                options));
    ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
    if (test_case.expect_colour) {
      EXPECT_THAT(result.stdout_text, HasSubstr("\x1b[38;2;"));
      EXPECT_THAT(result.stdout_text, HasSubstr("red\x1b[0m"));
    } else {
      EXPECT_EQ(result.stdout_text, "red green\n");
    }
  }
}

TEST(LocalCli, PlainFormatEscapesControlCharacters) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult result,
                       RunCli({"colorize", "--model", TinyModel(), "--format", "plain", "-"},
                              testing::WithStdin(std::string("sea\x01shell \\ x"))));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("sea\\x01"));
  EXPECT_THAT(result.stdout_text, HasSubstr("\t\\\\\n"));
  EXPECT_EQ(result.stdout_text.find('\x01'), std::string::npos);
}

TEST(LocalCli, DirectoryAsInputExitsWithOne) {
  // std::ifstream reads a directory as an empty file, which must not pass
  // for an empty text.
  const std::string directory = testing::ScratchDirectory("directory-input");
  ASSERT_OK_AND_ASSIGN(testing::CommandResult from_file,
                       RunCli({"colorize", "--model", TinyModel(), "--file", directory}));
  EXPECT_EQ(from_file.exit_code, 1);
  EXPECT_THAT(from_file.stderr_text, HasSubstr("cannot read " + directory + ": it is a directory"));
  EXPECT_EQ(from_file.stdout_text, "");
}

TEST(LocalCli, InvalidInputExitsWithFour) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult invalid_utf8,
                       RunCli({"colorize", "--model", TinyModel(), "-"},
                              testing::WithStdin(std::string("ok \xff bad"))));
  EXPECT_EQ(invalid_utf8.exit_code, 4);
  EXPECT_THAT(invalid_utf8.stderr_text, HasSubstr("invalid UTF-8 at byte 3"));

  ASSERT_OK_AND_ASSIGN(testing::CommandResult missing_projection,
                       RunCli({"colorize", "--model", TinyModel(), "--projection", "semantic",
                               "banana"}));
  EXPECT_EQ(missing_projection.exit_code, 4);
  EXPECT_THAT(missing_projection.stderr_text, HasSubstr("semantic"));

  ASSERT_OK_AND_ASSIGN(testing::CommandResult tokenize_invalid,
                       RunCli({"tokenize", "--model", TinyModel(), "-"},
                              testing::WithStdin(std::string("\xc3"))));
  EXPECT_EQ(tokenize_invalid.exit_code, 4);
}

TEST(LocalCli, LocalFailuresExitWithOne) {
  const std::string missing = testing::ScratchDirectory("no-model") + "/absent";
  ASSERT_OK_AND_ASSIGN(testing::CommandResult no_model,
                       RunCli({"colorize", "--model", missing, "text"}));
  EXPECT_EQ(no_model.exit_code, 1);
  EXPECT_THAT(no_model.stderr_text, HasSubstr(missing));

  ASSERT_OK_AND_ASSIGN(testing::CommandResult no_file,
                       RunCli({"colorize", "--model", TinyModel(), "--file", missing}));
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_THAT(no_file.stderr_text, HasSubstr(missing));
}

TEST(LocalCli, UsageErrorsExitWithTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"paint"},
      {"colorize", "--model", TinyModel()},
      {"colorize", "--model", TinyModel(), "one", "two"},
      {"colorize", "--model", TinyModel(), "--file", "a.txt", "text"},
      {"colorize", "--bogus", "text"},
      {"colorize", "--format", "pdf", "text"},
      {"colorize", "--projection", "rainbow", "text"},
      {"colorize", "--granularity", "sentence", "text"},
      {"colorize", "--background", "white", "text"},
      {"colorize", "--min-contrast", "4.5", "text"},
      {"colorize", "--min-contrast", "high", "--background", "#ffffff", "text"},
      {"colorize", "--color", "sometimes", "text"},
      {"colorize", "--special=maybe", "text"},
      {"colorize", "--tls-ca", "ca.pem", "text"},
      {"colorize", "--model", TinyModel(), "--server", "127.0.0.1:1", "text"},
      {"colorize", "--format"},
      {"tokenize", "--projection", "pca", "text"},
      {"stream", "text"},
      {"stream", "--format", "html", "--server", "127.0.0.1:1"},
      {"info"},
      {"health", "--wait", "soon", "--server", "127.0.0.1:1"},
      {"bench", "--server", "127.0.0.1:1", "--mode", "batch"},
      {"bench", "--server", "127.0.0.1:1", "--concurrency", "0"},
      {"bench", "--server", "127.0.0.1:1", "--rate", "-5"},
      {"colorize", "--server", "127.0.0.1:1", "--deadline", "forever", "text"},
  };
  for (const std::vector<std::string>& args : cases) {
    std::string joined;
    for (const std::string& arg : args) joined += arg + " ";
    SCOPED_TRACE("synesthesia " + joined);
    ASSERT_OK_AND_ASSIGN(testing::CommandResult result, RunCli(args));
    EXPECT_EQ(result.exit_code, 2) << result.stderr_text;
    EXPECT_FALSE(result.stderr_text.empty());
    EXPECT_TRUE(result.stdout_text.empty()) << result.stdout_text;
  }
}

TEST(LocalCli, HelpListsOptionsAndExitCodes) {
  ASSERT_OK_AND_ASSIGN(testing::CommandResult main_help, RunCli({"--help"}));
  EXPECT_EQ(main_help.exit_code, 0);
  for (const std::string command :
       {"tokenize", "embed", "colorize", "stream", "info", "health", "bench"}) {
    SCOPED_TRACE(command);
    EXPECT_THAT(main_help.stdout_text, HasSubstr("  " + command + " "));
    ASSERT_OK_AND_ASSIGN(testing::CommandResult help, RunCli({command, "--help"}));
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_THAT(help.stdout_text, StartsWith("Usage: "));
    EXPECT_THAT(help.stdout_text, HasSubstr("Options:\n"));
    EXPECT_THAT(help.stdout_text, HasSubstr("Exit codes:\n"));
    EXPECT_THAT(help.stdout_text, HasSubstr("  3  server unavailable"));
  }
  ASSERT_OK_AND_ASSIGN(testing::CommandResult version, RunCli({"--version"}));
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.stdout_text, StartsWith("synesthesia "));
}

}  // namespace
}  // namespace synesthesia

// Local mode: tokenize, embed and colorize with the model loaded in this
// process through the core library.
#include <charconv>
#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/cli/from_engine.h"
#include "core/colour/colour.h"
#include "core/engine/colorizer.h"
#include "core/engine/default_model.h"
#include "core/model/model.h"
#include "core/projection/projection.h"

namespace synesthesia::cli {
namespace {

// The --model directory, or the embedded default model.
absl::StatusOr<std::string> ModelDirectory(const Arguments& arguments) {
  if (std::optional<std::string> directory = arguments.Value("model")) return *directory;
  return engine::FindDefaultModel();
}

void AppendTokensJson(const std::vector<text::Token>& tokens, std::string& out) {
  out += "{\"tokens\":[";
  for (size_t i = 0; i < tokens.size(); ++i) {
    const text::Token& token = tokens[i];
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "{\"id\":", token.id,
                    ",\"text\":", JsonString(token.text),
                    ",\"special\":", token.special ? "true" : "false", ",\"start\":", token.start,
                    ",\"end\":", token.end, ",\"byte_start\":", token.byte_start,
                    ",\"byte_end\":", token.byte_end, "}");
  }
  out += tokens.empty() ? "]" : "\n]";
}

// The shortest decimal form that reads back as the same float; JSON has no
// NaN or infinity, so those become null.
void AppendFloat(float value, std::string& out) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[32];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// Loads the model for tokenize and embed, or reports why not and sets
// EXIT_CODE.
std::unique_ptr<model::Model> LoadModel(const Command& command, const Arguments& arguments,
                                        int& exit_code) {
  absl::StatusOr<std::string> directory = ModelDirectory(arguments);
  if (!directory.ok()) {
    exit_code = Fail(command, "no model", directory.status(), kExitLocalError);
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<model::Model>> model = model::Model::Load(*directory);
  if (!model.ok()) {
    exit_code = Fail(command, absl::StrCat("cannot load the model ", *directory),
                     model.status(), kExitLocalError);
    return nullptr;
  }
  return *std::move(model);
}

int Tokenize(const Command& command, const Arguments& arguments,
             bool with_hidden_states) {
  absl::StatusOr<std::string> text = ReadInputText(arguments);
  if (!text.ok()) return FailSetup(command, text.status());
  int exit_code = kExitSuccess;
  std::unique_ptr<model::Model> model = LoadModel(command, arguments, exit_code);
  if (model == nullptr) return exit_code;

  absl::StatusOr<std::vector<text::Token>> tokens = model->tokenizer().Tokenize(*text);
  if (!tokens.ok()) {
    return Fail(command, "cannot tokenize the input", tokens.status(),
                ExitCodeForLocal(tokens.status()));
  }
  std::string out;
  AppendTokensJson(*tokens, out);

  if (with_hidden_states) {
    std::vector<int32_t> ids;
    ids.reserve(tokens->size());
    for (const text::Token& token : *tokens) ids.push_back(token.id);
    absl::StatusOr<std::vector<RowMatrixXf>> states =
        model->encoder().Encode({std::span<const int32_t>(ids)});
    if (!states.ok()) {
      return Fail(command, "cannot encode the input", states.status(),
                  ExitCodeForLocal(states.status()));
    }
    const RowMatrixXf& hidden = (*states)[0];
    out += ",\"last_hidden_state\":[";
    for (Eigen::Index row = 0; row < hidden.rows(); ++row) {
      out += row == 0 ? "\n[" : ",\n[";
      for (Eigen::Index column = 0; column < hidden.cols(); ++column) {
        if (column > 0) out += ',';
        AppendFloat(hidden(row, column), out);
      }
      out += ']';
    }
    out += hidden.rows() == 0 ? "]" : "\n]";
  }
  out += "}\n";
  return WriteStdout(out) ? kExitSuccess : kExitLocalError;
}

// The engine's options for REQUEST. Without --projection it picks what the
// server would: semantic, else basis, else pca.
absl::StatusOr<engine::ColorizeOptions> EngineOptions(const ColourRequest& request,
                                                      const engine::Colorizer& colorizer) {
  engine::ColorizeOptions options;
  if (request.projection.has_value()) {
    absl::StatusOr<projection::Kind> kind = projection::ParseKind(*request.projection);
    if (!kind.ok()) return kind.status();
    options.projection = *kind;
  } else if (colorizer.HasProjection(projection::Kind::kSemantic)) {
    options.projection = projection::Kind::kSemantic;
  } else if (colorizer.HasProjection(projection::Kind::kBasis)) {
    options.projection = projection::Kind::kBasis;
  } else {
    options.projection = projection::Kind::kPca;
  }
  options.granularity =
      request.word_granularity ? engine::Granularity::kWord : engine::Granularity::kToken;
  options.include_special_tokens = request.include_special_tokens;
  if (request.background.has_value()) {
    absl::StatusOr<colour::Rgb8> background = colour::ParseHex(*request.background);
    if (!background.ok()) return background.status();
    options.background = *background;
  }
  options.min_contrast = request.min_contrast;
  return options;
}

}  // namespace

int RunTokenize(const Command& command, const Arguments& arguments) {
  return Tokenize(command, arguments, /*with_hidden_states=*/false);
}

int RunEmbed(const Command& command, const Arguments& arguments) {
  return Tokenize(command, arguments, /*with_hidden_states=*/true);
}

int RunLocalColorize(const Command& command, const Arguments& arguments,
                     const ColourRequest& request, const OutputSettings& output) {
  absl::StatusOr<std::string> text = ReadInputText(arguments);
  if (!text.ok()) return FailSetup(command, text.status());
  absl::StatusOr<std::string> directory = ModelDirectory(arguments);
  if (!directory.ok()) return Fail(command, "no model", directory.status(), kExitLocalError);

  engine::ColorizerOptions colorizer_options;
  colorizer_options.model_directory = *directory;
  absl::StatusOr<std::unique_ptr<engine::Colorizer>> colorizer =
      engine::Colorizer::Create(colorizer_options);
  if (!colorizer.ok()) {
    return Fail(command, absl::StrCat("cannot load the model ", *directory), colorizer.status(),
                kExitLocalError);
  }

  absl::StatusOr<engine::ColorizeOptions> options = EngineOptions(request, **colorizer);
  if (!options.ok()) return FailSetup(command, options.status());
  absl::StatusOr<engine::ColorizeResult> result = (*colorizer)->Colorize(*text, *options);
  if (!result.ok()) {
    return Fail(command, "cannot colour the input", result.status(),
                ExitCodeForLocal(result.status()));
  }

  std::string out;
  AppendFormatted(FromEngineResult(*result, *text, (*colorizer)->model().name()), output.format,
                  output.colour, HtmlOptions{request.background}, out);
  return WriteStdout(out) ? kExitSuccess : kExitLocalError;
}

}  // namespace synesthesia::cli

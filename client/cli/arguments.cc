#include "client/cli/arguments.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace synesthesia::cli {
namespace {

const OptionSpec* FindSpec(std::span<const OptionSpec> specs, absl::string_view name) {
  for (const OptionSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Wraps TEXT to WIDTH columns; every line after the first starts with INDENT
// spaces.
std::string Wrap(absl::string_view text, size_t width, size_t indent) {
  std::string result;
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > 0 && column + 1 + word.size() > width) {
      absl::StrAppend(&result, "\n", std::string(indent, ' '));
      column = 0;
    } else if (column > 0) {
      result += ' ';
      ++column;
    }
    absl::StrAppend(&result, word);
    column += word.size();
  }
  return result;
}

}  // namespace

absl::StatusOr<Arguments> Arguments::Parse(std::span<const std::string> args,
                                           std::span<const OptionSpec> specs) {
  Arguments parsed;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg == "-" || arg.size() < 2 || arg[0] != '-') {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      continue;
    }
    if (arg[1] != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option ", arg, "; options are written --name"));
    }

    const size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos
                                                                       : equals - 2);
    const OptionSpec* spec = FindSpec(specs, name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }

    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (spec->value_name.empty()) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("option --", name, " needs a value (", spec->value_name, ")"));
    }
    if (spec->value_name.empty() && value != "true" && value != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat("option --", name, " is a flag; use --", name, " or --", name,
                       "=false, not '", value, "'"));
    }
    parsed.values_[name] = std::move(value);
  }
  return parsed;
}

bool Arguments::Has(absl::string_view name) const { return values_.contains(name); }

std::optional<std::string> Arguments::Value(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Arguments::ValueOr(absl::string_view name, absl::string_view fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(fallback) : it->second;
}

bool Arguments::Flag(absl::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second == "true";
}

absl::StatusOr<std::optional<double>> Arguments::Double(absl::string_view name) const {
  std::optional<std::string> text = Value(name);
  if (!text.has_value()) return std::optional<double>();
  double value = 0;
  if (!absl::SimpleAtod(*text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("option --", name, " needs a number, got '", *text, "'"));
  }
  return std::optional<double>(value);
}

absl::StatusOr<std::optional<int64_t>> Arguments::Int(absl::string_view name) const {
  std::optional<std::string> text = Value(name);
  if (!text.has_value()) return std::optional<int64_t>();
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("option --", name, " needs an integer, got '", *text, "'"));
  }
  return std::optional<int64_t>(value);
}

absl::StatusOr<std::optional<absl::Duration>> Arguments::Duration(absl::string_view name) const {
  std::optional<std::string> text = Value(name);
  if (!text.has_value()) return std::optional<absl::Duration>();
  absl::Duration value;
  if (!absl::ParseDuration(*text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "option --", name, " needs a duration such as 10s or 250ms, got '", *text, "'"));
  }
  return std::optional<absl::Duration>(value);
}

std::string WrapProse(absl::string_view text) {
  constexpr size_t kWidth = 80;
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == ' ') {
      lines.emplace_back(line);
    } else {
      lines.push_back(Wrap(line, kWidth, 0));
    }
  }
  return absl::StrJoin(lines, "\n");
}

std::string FormatOptions(std::span<const OptionSpec> specs) {
  constexpr size_t kHelpColumn = 26;
  constexpr size_t kWidth = 80;
  std::string result = "Options:\n";
  for (const OptionSpec& spec : specs) {
    std::string left = absl::StrCat("  --", spec.name);
    if (!spec.value_name.empty()) absl::StrAppend(&left, " ", spec.value_name);
    if (left.size() + 2 > kHelpColumn) {
      absl::StrAppend(&result, left, "\n", std::string(kHelpColumn, ' '));
    } else {
      absl::StrAppend(&result, left, std::string(kHelpColumn - left.size(), ' '));
    }
    absl::StrAppend(&result, Wrap(spec.help, kWidth - kHelpColumn, kHelpColumn), "\n");
  }
  absl::StrAppend(&result, "  -h, --help", std::string(kHelpColumn - 12, ' '),
                  "show this help and exit\n");
  return result;
}

}  // namespace synesthesia::cli

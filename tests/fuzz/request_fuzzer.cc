// Input format: the first byte selects the request kind (modulo 3):
//   0: the rest is one ColorizeRequest,
//   1: the rest is one ColorizeBatchRequest,
//   2: the rest is a sequence of ColorizeStreamRequest messages, each a
//      2-byte little-endian length and that many bytes.
// Each message goes through the server's own steps: ParseRequest into the
// lenient wire message, FromProto, the colorizer's validation, then
// colouring with distilbert-tiny (and its fitted projections) on this
// thread. Streams follow the reactor's per-message steps with
// engine::StreamMessage.
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/colorizer.h"
#include "core/engine/stream.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/call_util.h"
#include "server/convert.h"
#include "server/wire/request_wire.pb.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/testing/model_fixtures.h"

namespace synesthesia::fuzz {
namespace {

// Keeps fuzz iterations fast; the server's own limit is 1 MiB.
constexpr int64_t kMaxTextBytes = 4096;

const engine::Colorizer& TinyColorizer() {
  static const std::unique_ptr<engine::Colorizer> colorizer = [] {
    absl::StatusOr<std::string> directory =
        testing::MakeTinyModelWithProjections("fuzz-request-model");
    FUZZ_CHECK(directory.ok(), "cannot build the distilbert-tiny model directory");
    engine::ColorizerOptions options;
    options.model_directory = *directory;
    options.max_text_bytes = kMaxTextBytes;
    absl::StatusOr<std::unique_ptr<engine::Colorizer>> created =
        engine::Colorizer::Create(options);
    FUZZ_CHECK(created.ok(), "cannot load distilbert-tiny");
    return *std::move(created);
  }();
  return *colorizer;
}

// The bytes as gRPC hands them to a handler.
absl::Status Parse(std::string_view bytes, google::protobuf::Message& message) {
  grpc::Slice slice(bytes.data(), bytes.size());
  grpc::ByteBuffer buffer(&slice, 1);
  return server::ParseRequest(buffer, message);
}

void CheckRejection(const absl::Status& status) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
             "a request was rejected with a code other than INVALID_ARGUMENT");
}

void CheckResult(const engine::ColorizeResult& result, int64_t text_bytes) {
  for (const engine::Span& span : result.spans) {
    FUZZ_CHECK(0 <= span.byte_start && span.byte_start <= span.byte_end &&
                   span.byte_end <= text_bytes,
               "span outside the text");
  }
}

absl::StatusOr<engine::ColorizeOptions> ConvertOptions(const v1::wire::ColorOptions& wire) {
  absl::StatusOr<engine::ColorizeOptions> options =
      server::FromProto(wire, projection::Kind::kPca);
  if (!options.ok()) return options;
  absl::Status valid = TinyColorizer().ValidateOptions(*options);
  if (!valid.ok()) return valid;
  return options;
}

void RunColorize(std::string_view bytes) {
  v1::wire::ColorizeRequest request;
  absl::Status parsed = Parse(bytes, request);
  if (!parsed.ok()) return CheckRejection(parsed);
  absl::StatusOr<engine::ColorizeOptions> options = ConvertOptions(request.options());
  if (!options.ok()) return CheckRejection(options.status());

  absl::StatusOr<engine::ColorizeResult> result =
      TinyColorizer().Colorize(request.text(), *options);
  if (!result.ok()) return CheckRejection(result.status());
  CheckResult(*result, static_cast<int64_t>(request.text().size()));
}

void RunBatch(std::string_view bytes) {
  v1::wire::ColorizeBatchRequest request;
  absl::Status parsed = Parse(bytes, request);
  if (!parsed.ok()) return CheckRejection(parsed);
  absl::StatusOr<engine::ColorizeOptions> options = ConvertOptions(request.options());
  if (!options.ok()) return CheckRejection(options.status());

  for (const std::string& text : request.texts()) {
    absl::StatusOr<engine::ColorizeResult> result = TinyColorizer().Colorize(text, *options);
    if (!result.ok()) return CheckRejection(result.status());
    CheckResult(*result, static_cast<int64_t>(text.size()));
  }
}

// Encodes and finishes PREPARED as the engine's scheduler would.
void ColourPrepared(const engine::PreparedText& prepared) {
  std::vector<std::span<const int32_t>> windows;
  for (const std::vector<int32_t>& ids : prepared.window_ids) windows.emplace_back(ids);
  if (windows.empty()) return;
  absl::StatusOr<std::vector<RowMatrixXf>> states =
      TinyColorizer().model().encoder().Encode(windows);
  FUZZ_CHECK(states.ok(), "the encoder rejected a prepared stream delta");
  absl::StatusOr<engine::ColorizeResult> result = TinyColorizer().Finish(prepared, *states);
  FUZZ_CHECK(result.ok(), "Finish failed on its own prepared text");
}

void RunStream(const uint8_t* data, size_t size) {
  std::map<std::string, std::unique_ptr<engine::StreamMessage>> messages;
  size_t offset = 0;
  while (size - offset >= 2) {
    uint16_t length = 0;
    std::memcpy(&length, data + offset, 2);
    offset += 2;
    const size_t take = std::min<size_t>(length, size - offset);
    const std::string_view bytes(reinterpret_cast<const char*>(data + offset), take);
    offset += take;

    v1::wire::ColorizeStreamRequest request;
    absl::Status parsed = Parse(bytes, request);
    if (!parsed.ok()) return CheckRejection(parsed);

    auto it = messages.find(request.message_id());
    if (it == messages.end()) {
      absl::StatusOr<engine::ColorizeOptions> options = ConvertOptions(request.options());
      if (!options.ok()) return CheckRejection(options.status());
      options->include_special_tokens = false;
      it = messages
               .emplace(request.message_id(),
                        std::make_unique<engine::StreamMessage>(TinyColorizer(), *options,
                                                                engine::StreamOptions{}))
               .first;
    }
    absl::StatusOr<std::optional<engine::PreparedText>> prepared =
        it->second->Append(request.delta(), request.final());
    if (!prepared.ok()) return CheckRejection(prepared.status());
    if (request.final()) messages.erase(it);
    if (prepared->has_value()) ColourPrepared(**prepared);
  }
}

}  // namespace

int FuzzRequest(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      RunColorize(rest);
      break;
    case 1:
      RunBatch(rest);
      break;
    default:
      RunStream(data + 1, size - 1);
      break;
  }
  return 0;
}

}  // namespace synesthesia::fuzz

// `synesthesia stream`: colours standard input as it arrives, for example a
// language model's output piped through it, and prints each word as soon as
// the server has coloured it.
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/cli/from_proto.h"

namespace synesthesia::cli {
namespace {

// A message that has grown past this many bytes is finished at the next
// whitespace in the input and a new one starts, so that no message reaches
// the server's max_text_bytes (1 MiB by default) in a long-running pipe.
constexpr size_t kMessageRolloverBytes = size_t{64} << 10;

// Bytes read from standard input at once; each read becomes one delta.
constexpr size_t kReadChunkBytes = 4096;

// The message being written and how much of it is printed. Shared between
// the thread reading standard input and gRPC's thread printing responses.
class Printer {
 public:
  Printer(Format format, bool colour) : format_(format), writer_(colour) {}

  // Starts message ID; the previous message must have been finished.
  void StartMessage(std::string id) {
    std::lock_guard lock(mutex_);
    id_ = std::move(id);
    text_.clear();
    finished_ = false;
    writer_.Reset();
  }

  // Records DELTA as sent, before it is written to the stream.
  void Append(absl::string_view delta) {
    std::lock_guard lock(mutex_);
    absl::StrAppend(&text_, delta);
  }

  size_t message_bytes() {
    std::lock_guard lock(mutex_);
    return text_.size();
  }

  // Prints RESPONSE; runs on gRPC's thread.
  void Print(const v1::ColorizeStreamResponse& response) {
    std::string out;
    {
      std::lock_guard lock(mutex_);
      if (format_ == Format::kJson) {
        AppendResponseJson(response, out);
      } else {
        std::vector<ColouredSpan> spans;
        spans.reserve(response.spans_size());
        for (const v1::Span& span : response.spans()) spans.push_back(FromProtoSpan(span));
        writer_.AppendSpans(text_, spans, out);
        if (response.final()) writer_.AppendRest(text_, out);
        // As colorize does, end the output with a newline, but only after
        // the last message: a message finished early to stay under the
        // size limit continues in the next one.
        if (response.final() && input_ended_ && !text_.empty() && text_.back() != '\n') {
          out += '\n';
        }
      }
      if (response.final() && response.message_id() == id_) {
        finished_ = true;
        finished_changed_.notify_all();
      }
    }
    if (!WriteStdout(out)) output_failed_ = true;
  }

  // Blocks until the current message's final response has been printed or
  // the call has ended.
  void AwaitFinished() {
    std::unique_lock lock(mutex_);
    finished_changed_.wait(lock, [this] { return finished_ || call_ended_; });
  }

  // Marks the current message as the last: standard input has ended.
  void InputEnded() {
    std::lock_guard lock(mutex_);
    input_ended_ = true;
  }

  void CallEnded() {
    std::lock_guard lock(mutex_);
    call_ended_ = true;
    finished_changed_.notify_all();
  }

  bool output_failed() const { return output_failed_; }

 private:
  static void AppendResponseJson(const v1::ColorizeStreamResponse& response, std::string& out) {
    absl::StrAppend(&out, "{\"message_id\":", JsonString(response.message_id()),
                    ",\"final\":", response.final() ? "true" : "false",
                    ",\"projection\":", JsonString(ProjectionName(response.projection())),
                    ",\"spans\":[");
    for (int i = 0; i < response.spans_size(); ++i) {
      if (i > 0) out += ',';
      AppendSpanJson(FromProtoSpan(response.spans(i)), out);
    }
    out += "]}\n";
  }

  const Format format_;
  std::mutex mutex_;
  std::condition_variable finished_changed_;
  std::string id_;
  std::string text_;
  AnsiWriter writer_;
  bool finished_ = false;
  bool input_ended_ = false;
  bool call_ended_ = false;
  std::atomic<bool> output_failed_ = false;
};

// The position after the last whitespace byte in CHUNK, or 0 when it has
// none. Splitting there never cuts a word or a UTF-8 sequence.
size_t SplitAfterLastWhitespace(absl::string_view chunk) {
  const size_t position = chunk.find_last_of(" \t\r\n");
  return position == absl::string_view::npos ? 0 : position + 1;
}

}  // namespace

int RunStream(const Command& command, const Arguments& arguments) {
  if (!arguments.positional().empty()) {
    return UsageError(command, "stream reads standard input and takes no TEXT");
  }
  absl::StatusOr<ColourRequest> request = ParseColourRequest(arguments);
  if (!request.ok()) return UsageError(command, request.status().message());
  const Format formats[] = {Format::kAnsi, Format::kJson};
  absl::StatusOr<OutputSettings> output = ParseOutputSettings(arguments, formats, Format::kAnsi);
  if (!output.ok()) return UsageError(command, output.status().message());
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(arguments);
  if (!client.ok()) return FailSetup(command, client.status());

  Printer printer(output->format, output->colour);
  StreamCallbacks callbacks;
  callbacks.on_response = [&printer](v1::ColorizeStreamResponse response) {
    printer.Print(response);
  };
  callbacks.on_done = [&printer](const absl::Status&) { printer.CallEnded(); };
  StreamOptions stream_options;
  if (std::optional<std::string> deadline = arguments.Value("deadline")) {
    stream_options.deadline = (*client)->options().default_deadline;
  }
  absl::StatusOr<std::unique_ptr<StreamSession>> session =
      (*client)->OpenStream(std::move(callbacks), stream_options);
  if (!session.ok()) return FailSetup(command, session.status());

  const std::string base_id = arguments.ValueOr("message-id", "stdin");
  int message_number = 1;
  const v1::ColorOptions colour_options = ToProtoOptions(*request);
  std::string id = base_id;
  printer.StartMessage(id);
  bool first_delta = true;

  // Sends DELTA (possibly FINAL) for the current message; false once the
  // stream has ended.
  auto send = [&](absl::string_view delta, bool final) {
    v1::ColorizeStreamRequest message;
    message.set_message_id(id);
    message.set_delta(std::string(delta));
    message.set_final(final);
    if (first_delta) *message.mutable_options() = colour_options;
    first_delta = false;
    printer.Append(delta);
    return (*session)->Write(std::move(message)).ok();
  };

  bool stream_alive = true;
  int local_error = kExitSuccess;
  char buffer[kReadChunkBytes];
  while (stream_alive) {
    const ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      local_error = Fail(command, "cannot read standard input",
                         absl::ErrnoToStatus(errno, "read"), kExitLocalError);
      (*session)->Cancel();
      break;
    }
    if (n == 0) {
      printer.InputEnded();
      stream_alive = send("", /*final=*/true);
      break;
    }

    absl::string_view chunk(buffer, static_cast<size_t>(n));
    const size_t split = SplitAfterLastWhitespace(chunk);
    if (printer.message_bytes() + chunk.size() < kMessageRolloverBytes || split == 0) {
      stream_alive = send(chunk, /*final=*/false);
      continue;
    }
    // Finish this message at the whitespace and start the next with the
    // rest, once the server has coloured the last word of this one.
    stream_alive = send(chunk.substr(0, split), /*final=*/true);
    printer.AwaitFinished();
    id = absl::StrCat(base_id, "-", ++message_number);
    printer.StartMessage(id);
    first_delta = true;
    if (stream_alive && split < chunk.size()) stream_alive = send(chunk.substr(split), false);
  }

  const absl::Status status = (*session)->Finish();
  if (local_error != kExitSuccess) return local_error;
  if (!status.ok()) {
    return Fail(command, absl::StrCat("ColorizeStream on ", (*client)->target(), " failed"),
                status, ExitCodeForRpc(status));
  }
  return printer.output_failed() ? kExitLocalError : kExitSuccess;
}

}  // namespace synesthesia::cli

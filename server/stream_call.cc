#include "server/stream_call.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/text/utf8.h"
#include "server/call_util.h"
#include "server/convert.h"
#include "server/service.h"
#include "server/status.h"

namespace synesthesia::server {
namespace {

// Longest accepted message id, in bytes.
constexpr size_t kMaxMessageIdBytes = 256;

// The message id as it may appear in an error message.
std::string Quote(const std::string& message_id) {
  return absl::StrCat("\"", absl::CHexEscape(message_id.substr(0, 64)), "\"");
}

}  // namespace

StreamCall* StreamCall::Start(SynesthesiaService& service, grpc::CallbackServerContext* context) {
  auto* call = new StreamCall(service, context);
  service.metrics().StreamOpened();

  absl::StatusOr<engine::Engine*> engine = service.Admit(*context);
  Actions actions;
  {
    absl::MutexLock lock(&call->mutex_);
    if (engine.ok()) {
      call->engine_ = *engine;
    } else {
      call->Fail(engine.status());
    }
    actions = call->AdvanceLocked();
  }
  // gRPC keeps operations started before the reactor is returned until it
  // binds the reactor, so the call cannot be deleted before this returns.
  call->Perform(std::move(actions));
  return call;
}

StreamCall::StreamCall(SynesthesiaService& service, grpc::CallbackServerContext* context)
    : service_(service),
      token_(service.call_tracker()),
      context_(context),
      start_(absl::Now()),
      deadline_(Deadline(*context)) {}

void StreamCall::OnReadDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mutex_);
    read_in_flight_ = false;
    if (!ok) {
      // The client half-closed (or left): every open message is final.
      reads_done_ = true;
      if (error_.ok()) FinishOpenMessages();
    } else if (error_.ok()) {
      v1::wire::ColorizeStreamRequest request;
      absl::Status status = ParseRequest(read_buffer_, request);
      if (status.ok()) status = HandleRequest(request);
      if (!status.ok()) Fail(std::move(status));
    }
    actions = AdvanceLocked();
  }
  Perform(std::move(actions));
}

absl::Status StreamCall::HandleRequest(const v1::wire::ColorizeStreamRequest& request) {
  const std::string& id = request.message_id();
  if (id.size() > kMaxMessageIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("message_id is ", id.size(),
                                                   " bytes, over the limit of ", kMaxMessageIdBytes));
  }
  // The id comes back in every response, whose message_id is a proto3
  // string: invalid UTF-8 there would make the client's parser reject the
  // response instead of telling the caller what was wrong.
  if (absl::Status valid = text::ValidateUtf8(id); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("message_id ", Quote(id), " is not valid UTF-8: ", valid.message()));
  }

  auto it = messages_.find(id);
  if (it == messages_.end()) {
    if (static_cast<int64_t>(messages_.size()) >= service_.options().max_stream_messages) {
      return absl::InvalidArgumentError(absl::StrCat(
          "message ", Quote(id), " would be the ", messages_.size() + 1,
          "th open message of this stream, over the limit of ",
          service_.options().max_stream_messages, "; mark earlier messages final first"));
    }
    absl::StatusOr<engine::ColorizeOptions> options =
        FromProto(request.options(), service_.defaults().stream);
    if (options.ok()) {
      // [CLS] and [SEP] belong to encoder windows, not to a message.
      options->include_special_tokens = false;
      absl::Status valid = engine_->colorizer().ValidateOptions(*options);
      if (!valid.ok()) options = valid;
    }
    if (!options.ok()) {
      return absl::Status(options.status().code(),
                          absl::StrCat("message ", Quote(id), ": ", options.status().message()));
    }
    it = messages_
             .emplace(id, std::make_unique<engine::StreamMessage>(
                              engine_->colorizer(), *options, engine_->options().stream))
             .first;
    service_.metrics().StreamMessageStarted();
  }

  engine::StreamMessage& message = *it->second;
  absl::StatusOr<std::optional<engine::PreparedText>> prepared =
      message.Append(request.delta(), request.final());
  if (!prepared.ok()) {
    return absl::Status(prepared.status().code(),
                        absl::StrCat("message ", Quote(id), ": ", prepared.status().message()));
  }
  const projection::Kind projection = message.options().projection;
  if (request.final()) messages_.erase(it);
  return QueueWork(id, std::move(prepared).value(), request.final(), projection);
}

absl::Status StreamCall::QueueWork(const std::string& message_id,
                                   std::optional<engine::PreparedText> prepared, bool final,
                                   projection::Kind projection) {
  if (!prepared.has_value() && !final) return absl::OkStatus();

  auto slot = std::make_shared<Slot>();
  slots_.push_back(slot);
  if (!prepared.has_value()) {
    // No new words, but the client must learn that the message ended.
    v1::ColorizeStreamResponse response;
    response.set_message_id(message_id);
    response.set_final(true);
    response.set_projection(ToProto(projection));
    slot->ready = true;
    return SerializeResponse(response, slot->response);
  }

  ++outstanding_;
  absl::Status submitted = engine_->ColorizePrepared(
      std::move(*prepared), engine::WorkControl{Deadline(*context_), cancelled_},
      [this, slot, message_id, final](absl::StatusOr<engine::ColorizeResult> result) {
        OnColoured(slot, message_id, final, std::move(result));
      });
  if (!submitted.ok()) --outstanding_;
  return submitted;
}

void StreamCall::OnColoured(const std::shared_ptr<Slot>& slot, const std::string& message_id,
                            bool final, absl::StatusOr<engine::ColorizeResult> result) {
  // Build the response before taking the lock; only this thread touches it.
  v1::ColorizeStreamResponse response;
  absl::Status status = result.status();
  if (result.ok()) {
    service_.metrics().RecordColouring(result->timing, result->token_count);
    response.set_message_id(message_id);
    response.mutable_spans()->Reserve(static_cast<int>(result->spans.size()));
    for (const engine::Span& span : result->spans) ToProto(span, *response.add_spans());
    response.set_final(final);
    response.set_projection(ToProto(result->projection));
    ToProto(result->timing, *response.mutable_timing());
  }

  Actions actions;
  {
    absl::MutexLock lock(&mutex_);
    --outstanding_;
    if (status.ok()) status = SerializeResponse(response, slot->response);
    if (status.ok()) {
      slot->ready = true;
    } else {
      Fail(std::move(status));
    }
    actions = AdvanceLocked();
  }
  Perform(std::move(actions));
}

void StreamCall::OnWriteDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mutex_);
    write_in_flight_ = false;
    if (!ok) Fail(absl::CancelledError("the client stopped reading the stream"));
    actions = AdvanceLocked();
  }
  Perform(std::move(actions));
}

void StreamCall::OnCancel() {
  cancelled_->store(true, std::memory_order_relaxed);
  Actions actions;
  {
    absl::MutexLock lock(&mutex_);
    if (engine_ != nullptr) engine_->NotifyCancelled();
    Fail(absl::CancelledError("the stream was cancelled"));
    actions = AdvanceLocked();
  }
  Perform(std::move(actions));
}

void StreamCall::OnDone() {
  // gRPC calls OnDone after Finish completes, but libgrpc orders the two
  // where ThreadSanitizer cannot see it. The mutex makes the order visible.
  grpc::StatusCode final_code;
  {
    absl::MutexLock lock(&mutex_);
    final_code = final_code_;
  }
  // gRPC cancels a stream whose deadline passes, and its client receives
  // DEADLINE_EXCEEDED. The first failure seen here may be a cancelled read
  // or write as well as OnCancel, so the metrics map CANCELLED here.
  if (final_code == grpc::StatusCode::CANCELLED && CancelledByDeadline(deadline_)) {
    final_code = grpc::StatusCode::DEADLINE_EXCEEDED;
  }
  service_.metrics().StreamClosed();
  service_.metrics().RecordRequest(Method::kColorizeStream, final_code, absl::Now() - start_);
  delete this;
}

void StreamCall::FinishOpenMessages() {
  // Fail clears messages_, so iterate over a list of its own.
  absl::flat_hash_map<std::string, std::unique_ptr<engine::StreamMessage>> open =
      std::move(messages_);
  messages_.clear();
  for (auto& [id, message] : open) {
    absl::StatusOr<std::optional<engine::PreparedText>> prepared = message->Append("", true);
    absl::Status status = prepared.status();
    if (status.ok()) {
      status = QueueWork(id, std::move(prepared).value(), true, message->options().projection);
    }
    if (!status.ok()) {
      Fail(absl::Status(status.code(), absl::StrCat("message ", Quote(id), ": ", status.message())));
      break;
    }
  }
}

void StreamCall::Fail(absl::Status status) {
  if (error_.ok()) error_ = std::move(status);
  reads_done_ = true;
  slots_.clear();
  messages_.clear();
}

StreamCall::Actions StreamCall::AdvanceLocked() {
  Actions actions;
  if (finishing_) return actions;

  if (!error_.ok()) {
    // Finish once no engine callback and no write can still arrive.
    if (outstanding_ == 0 && !write_in_flight_) {
      finishing_ = true;
      actions.finish = ToGrpcStatus(error_);
    }
    return actions;
  }

  if (!write_in_flight_ && !slots_.empty() && slots_.front()->ready) {
    write_buffer_ = std::move(slots_.front()->response);
    slots_.pop_front();
    write_in_flight_ = true;
    actions.write = &write_buffer_;
  }
  if (!reads_done_ && !read_in_flight_ &&
      static_cast<int64_t>(slots_.size()) < service_.options().max_pending_deltas) {
    read_in_flight_ = true;
    actions.read = true;
  }
  if (reads_done_ && slots_.empty() && outstanding_ == 0 && !write_in_flight_) {
    finishing_ = true;
    actions.finish = grpc::Status::OK;
  }
  return actions;
}

void StreamCall::Perform(Actions actions) {
  if (actions.write != nullptr) StartWrite(actions.write);
  if (actions.read) StartRead(&read_buffer_);
  if (actions.finish.has_value()) {
    {
      absl::MutexLock lock(&mutex_);
      final_code_ = actions.finish->error_code();
    }
    Finish(*actions.finish);
  }
}

}  // namespace synesthesia::server

#include "server/service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "core/util/status_macros.h"
#include "glog/logging.h"
#include "server/call_util.h"
#include "server/convert.h"
#include "server/status.h"
#include "server/stream_call.h"
#include "server/wire/request_wire.pb.h"

namespace synesthesia::server {
namespace {

// A unary call in progress. It deletes itself once gRPC is done with it.
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(Method method, SynesthesiaService& service, absl::Time deadline)
      : method_(method),
        metrics_(service.metrics()),
        token_(service.call_tracker()),
        in_flight_(metrics_),
        start_(absl::Now()),
        deadline_(deadline) {}

  void OnCancel() override {
    cancelled_->store(true, std::memory_order_relaxed);
    engine::Engine* engine = engine_.load(std::memory_order_acquire);
    if (engine != nullptr) engine->NotifyCancelled();
  }
  void OnDone() override { delete this; }

  // Records the call and finishes it. Nothing may touch the call afterwards.
  void FinishWith(grpc::Status status) {
    // gRPC cancels a call whose deadline passes, and its client receives
    // DEADLINE_EXCEEDED. Record that code, not the CANCELLED that the
    // cancelled work ends with, nor OK for work that ended too late, so
    // that the metrics count the timeout the client saw.
    const bool finished_late = status.ok() && absl::Now() >= deadline_;
    const bool cancelled_by_deadline =
        status.error_code() == grpc::StatusCode::CANCELLED && CancelledByDeadline(deadline_);
    if (finished_late || cancelled_by_deadline) {
      status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            "the deadline passed while the call was running");
    }
    // Failed requests are the client's business; log them only verbosely.
    if (!status.ok()) {
      VLOG(1) << MethodName(method_) << " failed with code " << status.error_code() << ": "
              << status.error_message();
    }
    metrics_.RecordRequest(method_, status.error_code(), absl::Now() - start_);
    Finish(status);
  }
  void FinishWith(const absl::Status& status) { FinishWith(ToGrpcStatus(status)); }

  // The work control for ENGINE, which is notified when the call is cancelled.
  engine::WorkControl Control(const grpc::CallbackServerContext& context, engine::Engine* engine) {
    engine_.store(engine, std::memory_order_release);
    return engine::WorkControl{Deadline(context), cancelled_};
  }

 private:
  const Method method_;
  Metrics& metrics_;
  CallTracker::Token token_;
  InFlightRequest in_flight_;
  const absl::Time start_;
  const absl::Time deadline_;
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  std::atomic<engine::Engine*> engine_{nullptr};
};

// Reads the lenient request and its options; the first error wins.
template <typename Request>
absl::StatusOr<engine::ColorizeOptions> ReadRequest(const grpc::ByteBuffer& buffer,
                                                    projection::Kind default_projection,
                                                    Request& request) {
  RETURN_IF_ERROR(ParseRequest(buffer, request));
  return FromProto(request.options(), default_projection);
}

}  // namespace

SynesthesiaService::SynesthesiaService(ServiceOptions options, Metrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {}

void SynesthesiaService::SetEngine(engine::Engine* engine, Defaults defaults) {
  defaults_ = defaults;
  engine_.store(engine, std::memory_order_release);
}

absl::StatusOr<engine::Engine*> SynesthesiaService::Admit(
    const grpc::CallbackServerContext& context) const {
  if (call_tracker_.draining()) {
    return absl::UnavailableError("the server is shutting down; retry on another replica");
  }
  if (!options_.bearer_token.empty()) {
    const std::string expected = absl::StrCat("Bearer ", options_.bearer_token);
    const auto& metadata = context.client_metadata();
    auto it = metadata.find("authorization");
    bool matches = false;
    if (it != metadata.end() && it->second.size() == expected.size()) {
      // Compare every byte so the time taken does not reveal the prefix.
      unsigned char difference = 0;
      for (size_t i = 0; i < expected.size(); ++i) {
        difference |= static_cast<unsigned char>(it->second.data()[i] ^ expected[i]);
      }
      matches = difference == 0;
    }
    if (!matches) {
      return absl::UnauthenticatedError(
          "missing or wrong bearer token; send the metadata \"authorization: Bearer <token>\"");
    }
  }
  engine::Engine* engine = engine_.load(std::memory_order_acquire);
  if (engine == nullptr) {
    return absl::UnavailableError("the model is still loading; retry shortly");
  }
  return engine;
}

grpc::ServerUnaryReactor* SynesthesiaService::Colorize(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  auto* call = new UnaryCall(Method::kColorize, *this, Deadline(*context));
  absl::StatusOr<engine::Engine*> engine = Admit(*context);
  if (!engine.ok()) {
    call->FinishWith(engine.status());
    return call;
  }

  v1::wire::ColorizeRequest parsed;
  absl::StatusOr<engine::ColorizeOptions> options =
      ReadRequest(*request, defaults_.unary, parsed);
  if (!options.ok()) {
    call->FinishWith(options.status());
    return call;
  }

  engine::Engine* const serving = *engine;
  absl::Status submitted = serving->Colorize(
      parsed.text(), *options, call->Control(*context, serving),
      [this, call, response, serving](absl::StatusOr<engine::ColorizeResult> result) {
        if (!result.ok()) {
          call->FinishWith(result.status());
          return;
        }
        metrics_.RecordColouring(result->timing, result->token_count);
        v1::ColorizeResponse message;
        ToProto(*result, serving->colorizer().model().name(), message);
        call->FinishWith(SerializeResponse(message, *response));
      });
  if (!submitted.ok()) call->FinishWith(submitted);
  return call;
}

grpc::ServerUnaryReactor* SynesthesiaService::ColorizeBatch(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  auto* call = new UnaryCall(Method::kColorizeBatch, *this, Deadline(*context));
  absl::StatusOr<engine::Engine*> engine = Admit(*context);
  if (!engine.ok()) {
    call->FinishWith(engine.status());
    return call;
  }

  v1::wire::ColorizeBatchRequest parsed;
  absl::StatusOr<engine::ColorizeOptions> options =
      ReadRequest(*request, defaults_.unary, parsed);
  if (!options.ok()) {
    call->FinishWith(options.status());
    return call;
  }

  const absl::Time start = absl::Now();
  std::vector<std::string_view> texts(parsed.texts().begin(), parsed.texts().end());
  engine::Engine* const serving = *engine;
  absl::Status submitted = serving->ColorizeBatch(
      texts, *options, call->Control(*context, serving),
      [this, call, response, serving,
       start](absl::StatusOr<std::vector<engine::ColorizeResult>> results) {
        if (!results.ok()) {
          call->FinishWith(results.status());
          return;
        }
        v1::ColorizeBatchResponse message;
        message.mutable_results()->Reserve(static_cast<int>(results->size()));
        engine::Timing total;
        for (const engine::ColorizeResult& result : *results) {
          metrics_.RecordColouring(result.timing, result.token_count);
          ToProto(result, serving->colorizer().model().name(), *message.add_results());
          total.tokenize += result.timing.tokenize;
          total.queue = std::max(total.queue, result.timing.queue);
          total.inference = std::max(total.inference, result.timing.inference);
        }
        total.total = absl::Now() - start;
        ToProto(total, *message.mutable_timing());
        call->FinishWith(SerializeResponse(message, *response));
      });
  if (!submitted.ok()) call->FinishWith(submitted);
  return call;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* SynesthesiaService::ColorizeStream(
    grpc::CallbackServerContext* context) {
  return StreamCall::Start(*this, context);
}

grpc::ServerUnaryReactor* SynesthesiaService::GetModelInfo(grpc::CallbackServerContext* context,
                                                           const v1::GetModelInfoRequest* /*request*/,
                                                           v1::ModelInfo* response) {
  auto* call = new UnaryCall(Method::kGetModelInfo, *this, Deadline(*context));
  absl::StatusOr<engine::Engine*> engine = Admit(*context);
  if (!engine.ok()) {
    call->FinishWith(engine.status());
    return call;
  }

  const engine::Engine& serving = **engine;
  const engine::Colorizer& colorizer = serving.colorizer();
  const model::DistilBertConfig& config = colorizer.model().config();
  response->set_name(colorizer.model().name());
  response->set_architecture("distilbert");
  response->set_dim(static_cast<int32_t>(config.dim));
  response->set_layers(static_cast<int32_t>(config.n_layers));
  response->set_heads(static_cast<int32_t>(config.n_heads));
  response->set_hidden_dim(static_cast<int32_t>(config.hidden_dim));
  response->set_vocab_size(static_cast<int32_t>(config.vocab_size));
  response->set_max_positions(static_cast<int32_t>(config.max_position_embeddings));
  for (projection::Kind kind : colorizer.AvailableProjections()) {
    response->add_projections(ToProto(kind));
  }
  response->set_default_projection(ToProto(defaults_.unary));
  response->set_default_stream_projection(ToProto(defaults_.stream));
  response->set_precision(colorizer.model().encoder().options().precision ==
                                  model::Precision::kInt8Dynamic
                              ? "int8"
                              : "float32");
  v1::Limits* limits = response->mutable_limits();
  const engine::EngineOptions& engine_options = serving.options();
  limits->set_max_text_bytes(engine_options.colorizer.max_text_bytes);
  limits->set_max_batch_texts(static_cast<int32_t>(engine_options.max_batch_texts));
  limits->set_max_batch_tokens(static_cast<int32_t>(engine_options.scheduler.max_batch_tokens));
  limits->set_max_queued_tokens(engine_options.scheduler.max_queued_tokens);
  limits->set_stream_context_tokens(static_cast<int32_t>(engine_options.stream.context_tokens));
  limits->set_max_pending_deltas(static_cast<int32_t>(options_.max_pending_deltas));
  limits->set_max_message_bytes(options_.max_message_bytes);
  limits->set_max_stream_messages(static_cast<int32_t>(options_.max_stream_messages));
  response->set_server_version(options_.version);
  call->FinishWith(grpc::Status::OK);
  return call;
}

}  // namespace synesthesia::server

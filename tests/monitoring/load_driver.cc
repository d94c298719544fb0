// monitoring_load_driver: sends a fixed mix of calls to a Synesthesia server
// so that every request metric moves, then prints the status codes returned.
//
//   monitoring_load_driver --target=127.0.0.1:PORT --rounds=N --concurrency=C
//
// Each of the N rounds sends one Colorize call, one Colorize call with an
// invalid background (INVALID_ARGUMENT), one ColorizeBatch call of
// kBatchTexts texts, one ColorizeStream call of one message in three deltas
// and one GetModelInfo call. C threads share the rounds. The output is one
// JSON object: {"calls": {method: {code: count}}, "batch_texts": T,
// "stream_messages": M}, with the codes as the client received them.
// Exit code 0 when every call got the code it expects, 1 otherwise.
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "synesthesia/v1/synesthesia.grpc.pb.h"

ABSL_FLAG(std::string, target, "", "host:port of the server, for example 127.0.0.1:50051");
ABSL_FLAG(int, rounds, 20, "rounds of the call mix to send");
ABSL_FLAG(int, concurrency, 4, "threads that send rounds at the same time");

namespace {

using synesthesia::v1::Synesthesia;

constexpr int kBatchTexts = 4;
// Short chat-sized texts; a real vocabulary is not needed, the tokenizer
// maps unknown words to [UNK].
constexpr const char* kTexts[] = {
    "The sky turned orange as the sun went down.",
    "A ripe banana is yellow with small brown spots.",
    "The ocean looked calm and deep blue this morning.",
    "Fresh mint leaves and two green lemons.",
    "She painted the fence white and the door red.",
};
constexpr int kTextCount = sizeof(kTexts) / sizeof(kTexts[0]);

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "OTHER";
  }
}

class Tally {
 public:
  void Add(const std::string& method, grpc::StatusCode code, grpc::StatusCode expected) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_[method][CodeName(code)];
    if (code != expected) ++unexpected_;
  }

  // {method: {code: count}}.
  std::string ToJson() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string json = "{";
    const char* method_separator = "";
    for (const auto& [method, codes] : counts_) {
      absl::StrAppend(&json, method_separator, "\"", method, "\": {");
      const char* code_separator = "";
      for (const auto& [code, count] : codes) {
        absl::StrAppend(&json, code_separator, "\"", code, "\": ", count);
        code_separator = ", ";
      }
      json += "}";
      method_separator = ", ";
    }
    return json + "}";
  }

  int64_t unexpected() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return unexpected_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, int64_t>> counts_;
  int64_t unexpected_ = 0;
};

// Calls are bounded in time so that a stuck server fails the run instead of
// hanging it.
void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

void SendRound(Synesthesia::Stub& stub, int round, Tally& tally) {
  const std::string text = kTexts[round % kTextCount];
  {
    grpc::ClientContext context;
    SetDeadline(context);
    synesthesia::v1::ColorizeRequest request;
    request.set_text(text);
    synesthesia::v1::ColorizeResponse response;
    tally.Add("Colorize", stub.Colorize(&context, request, &response).error_code(),
              grpc::StatusCode::OK);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    synesthesia::v1::ColorizeRequest request;
    request.set_text(text);
    request.mutable_options()->set_background("#not-a-colour");
    request.mutable_options()->set_min_contrast(4.5);
    synesthesia::v1::ColorizeResponse response;
    tally.Add("Colorize", stub.Colorize(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    synesthesia::v1::ColorizeBatchRequest request;
    for (int i = 0; i < kBatchTexts; ++i) request.add_texts(kTexts[(round + i) % kTextCount]);
    synesthesia::v1::ColorizeBatchResponse response;
    tally.Add("ColorizeBatch", stub.ColorizeBatch(&context, request, &response).error_code(),
              grpc::StatusCode::OK);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = stub.ColorizeStream(&context);
    const std::string id = absl::StrCat("message-", round);
    synesthesia::v1::ColorizeStreamRequest delta;
    delta.set_message_id(id);
    constexpr const char* kPieces[] = {"The forest was ", "quiet, green ", "and damp."};
    constexpr int kPieceCount = sizeof(kPieces) / sizeof(kPieces[0]);
    for (int i = 0; i < kPieceCount; ++i) {
      delta.set_delta(kPieces[i]);
      delta.set_final(i == kPieceCount - 1);
      if (!stream->Write(delta)) break;
    }
    stream->WritesDone();
    for (synesthesia::v1::ColorizeStreamResponse response; stream->Read(&response);) {
    }
    tally.Add("ColorizeStream", stream->Finish().error_code(), grpc::StatusCode::OK);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    synesthesia::v1::ModelInfo response;
    tally.Add("GetModelInfo",
              stub.GetModelInfo(&context, synesthesia::v1::GetModelInfoRequest(), &response)
                  .error_code(),
              grpc::StatusCode::OK);
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (target.empty() || rounds < 1 || concurrency < 1) {
    std::cerr << "monitoring_load_driver: --target is required, and --rounds and --concurrency "
                 "must be positive\n";
    return 2;
  }

  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  std::unique_ptr<Synesthesia::Stub> stub = Synesthesia::NewStub(channel);
  Tally tally;
  std::vector<std::thread> threads;
  for (int thread = 0; thread < concurrency; ++thread) {
    threads.emplace_back([&, thread] {
      for (int round = thread; round < rounds; round += concurrency) SendRound(*stub, round, tally);
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::cout << "{\"calls\": " << tally.ToJson() << ", \"batch_texts\": " << rounds * kBatchTexts
            << ", \"stream_messages\": " << rounds << "}\n";
  return tally.unexpected() == 0 ? 0 : 1;
}
